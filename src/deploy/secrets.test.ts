import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createSecrets, loadMasterKey } from './secrets.ts';

describe('secrets', () => {
  it('round-trips a value and never stores it in clear', () => {
    const secrets = createSecrets(randomBytes(32));
    const sealed = secrets.seal('DATABASE_URL=postgres://secret');
    assert.ok(!sealed.includes('secret'));
    assert.notEqual(sealed, secrets.seal('DATABASE_URL=postgres://secret'), 'a fresh IV per seal');
    assert.equal(secrets.open(sealed), 'DATABASE_URL=postgres://secret');
  });

  it('refuses to open with another key or a tampered value', () => {
    const sealed = createSecrets(randomBytes(32)).seal('x');
    assert.throws(() => createSecrets(randomBytes(32)).open(sealed), { code: 'ERR_SECRETS_DECRYPT_FAILED' });
    const key = randomBytes(32);
    const good = createSecrets(key).seal('hello');
    const tampered = `${good.slice(0, -4)}AAAA`;
    assert.throws(() => createSecrets(key).open(tampered), { code: 'ERR_SECRETS_DECRYPT_FAILED' });
  });

  it('generates a key file with mode 0600 once and reuses it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'laambda-secrets-'));
    try {
      const first = loadMasterKey({ dataDir: dir });
      assert.equal(statSync(path.join(dir, 'master.key')).mode & 0o777, 0o600);
      assert.deepEqual(loadMasterKey({ dataDir: dir }), first);
      assert.equal(readFileSync(path.join(dir, 'master.key'), 'utf8').trim(), first.toString('hex'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes LAAMBDA_MASTER_KEY as hex or base64 and rejects a short one', () => {
    const key = randomBytes(32);
    assert.deepEqual(loadMasterKey({ dataDir: '/nonexistent', masterKey: key.toString('hex') }), key);
    assert.deepEqual(loadMasterKey({ dataDir: '/nonexistent', masterKey: key.toString('base64') }), key);
    assert.throws(() => loadMasterKey({ dataDir: '/nonexistent', masterKey: 'abc' }), { code: 'ERR_SECRETS_KEY_INVALID' });
  });
});
