import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configDir, normalizeUrl, readCredentialsFile, removeCredentials, resolveCredentials, writeCredentials } from './credentials.ts';

describe('CLI credentials', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'laambda-credentials-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes credentials.json readable by the user alone, in a directory only the user may enter', async () => {
    const env = { LAAMBDA_CONFIG_DIR: path.join(dir, 'fresh', 'laambda') };
    const file = writeCredentials(env, { url: 'http://127.0.0.1:8000', token: 'lb_secret' });
    assert.equal(file, path.join(dir, 'fresh', 'laambda', 'credentials.json'));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(path.dirname(file))).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { url: 'http://127.0.0.1:8000', token: 'lb_secret' });
  });

  it('tightens the mode of an existing, too open credentials file when it rewrites it', async () => {
    const env = { LAAMBDA_CONFIG_DIR: path.join(dir, 'open') };
    writeCredentials(env, { url: 'http://a', token: 'one' });
    await writeFile(path.join(dir, 'open', 'credentials.json'), '{}', { mode: 0o644 });
    const file = writeCredentials(env, { url: 'http://b', token: 'two' });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(readCredentialsFile(env), { url: 'http://b', token: 'two' });
  });

  it('finds the config dir in LAAMBDA_CONFIG_DIR, else XDG_CONFIG_HOME/laambda, else ~/.config/laambda', () => {
    assert.equal(configDir({ LAAMBDA_CONFIG_DIR: '/x/cfg', XDG_CONFIG_HOME: '/y', HOME: '/h' }), '/x/cfg');
    assert.equal(configDir({ XDG_CONFIG_HOME: '/y', HOME: '/h' }), '/y/laambda');
    assert.equal(configDir({ HOME: '/h' }), '/h/.config/laambda');
  });

  it('uses the saved credentials, and LAAMBDA_URL / LAAMBDA_TOKEN override them one by one', () => {
    const env = { XDG_CONFIG_HOME: path.join(dir, 'xdg') };
    writeCredentials(env, { url: 'http://saved:8000', token: 'lb_saved' });
    assert.deepEqual(resolveCredentials(env), { url: 'http://saved:8000', token: 'lb_saved', source: 'file' });
    assert.deepEqual(resolveCredentials({ ...env, LAAMBDA_TOKEN: 'lb_env' }), { url: 'http://saved:8000', token: 'lb_env', source: 'env+file' });
    assert.deepEqual(resolveCredentials({ ...env, LAAMBDA_URL: 'http://ci:9000/', LAAMBDA_TOKEN: 'lb_ci' }), {
      url: 'http://ci:9000',
      token: 'lb_ci',
      source: 'env',
    });
  });

  it('works from the environment alone, without any file', () => {
    const env = { LAAMBDA_CONFIG_DIR: path.join(dir, 'none'), LAAMBDA_URL: 'http://ci:9000', LAAMBDA_TOKEN: 'lb_ci' };
    assert.deepEqual(resolveCredentials(env), { url: 'http://ci:9000', token: 'lb_ci', source: 'env' });
  });

  it('says ERR_CLI_NOT_LOGGED_IN, naming what is missing, without credentials', () => {
    const env = { LAAMBDA_CONFIG_DIR: path.join(dir, 'none') };
    assert.throws(() => resolveCredentials(env), { code: 'ERR_CLI_NOT_LOGGED_IN', message: /no server URL and no token/ });
    assert.throws(() => resolveCredentials({ ...env, LAAMBDA_URL: 'http://x' }), { code: 'ERR_CLI_NOT_LOGGED_IN', message: /no token \(LAAMBDA_TOKEN\)/ });
  });

  it('forgets the saved credentials on logout', () => {
    const env = { LAAMBDA_CONFIG_DIR: path.join(dir, 'logout') };
    writeCredentials(env, { url: 'http://a', token: 't' });
    assert.equal(removeCredentials(env), true);
    assert.equal(readCredentialsFile(env), undefined);
    assert.equal(removeCredentials(env), false);
  });

  it('normalises server URLs and refuses other schemes', () => {
    assert.equal(normalizeUrl('localhost:8000/'), 'http://localhost:8000');
    assert.equal(normalizeUrl('https://paas.example.com/laambda/'), 'https://paas.example.com/laambda');
    assert.throws(() => normalizeUrl('ftp://x'), { code: 'ERR_CLI_SERVER_UNREACHABLE' });
  });
});
