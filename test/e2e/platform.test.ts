// The platform as a user drives it: `laambda server`, the CLI, `git push`, and curl.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'laambda.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('laambda server, end to end', () => {
  let home: string;
  let dataDir: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess;
  let urls: { controlUrl: string; gatewayUrl: string; awsUrl: string; adminToken: string };

  const laambda = (...args: string[]) => run(process.execPath, [BIN, ...args], { cwd: work, env });
  const git = (...args: string[]) => run('git', args, { cwd: work, env });
  const curl = async (requestPath: string) => {
    const port = new URL(urls.gatewayUrl).port;
    const reply = await run('curl', ['-sS', '--fail-with-body', `http://hello.localhost:${port}${requestPath}`], { cwd: work, env });
    assert.equal(reply.code, 0, `curl failed: ${reply.stderr}${reply.stdout}`);
    return JSON.parse(reply.stdout) as { message: string; edition?: number };
  };
  const commit = async (message: string) => {
    assert.equal((await git('add', '-A')).code, 0);
    assert.equal((await git('-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'commit', '-qm', message)).code, 0);
  };

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'laambda-e2e-home-'));
    dataDir = path.join(home, 'data');
    work = path.join(home, 'hello');
    cpSync(path.join(ROOT, 'examples', 'hello-node'), work, { recursive: true });
    env = {
      ...process.env,
      HOME: home,
      LAAMBDA_CONFIG_DIR: path.join(home, 'config'),
      LAAMBDA_LOG_LEVEL: 'warn',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      NO_COLOR: '1',
    };
    delete env.LAAMBDA_URL;
    delete env.LAAMBDA_TOKEN;
    server = spawn(process.execPath, [BIN, 'server', '--data-dir', dataDir, '--port', '0', '--gateway-port', '0', '--aws-port', '0', '--json'], {
      cwd: home,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: server.stdout! });
    for await (const line of lines) {
      urls = JSON.parse(line);
      break;
    }
    assert.ok(urls?.adminToken, 'the first start prints the admin token');
    assert.equal((await git('init', '-q', '-b', 'main')).code, 0);
    await commit('hello');
  });

  after(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('logs in, creates an app and adds the git remote', async () => {
    const login = await laambda('login', urls.controlUrl, '--token', urls.adminToken);
    assert.equal(login.code, 0, login.stderr);
    const created = await laambda('apps:create', 'hello');
    assert.equal(created.code, 0, created.stderr);
    assert.match((await git('remote', 'get-url', 'laambda')).stdout, /\/git\/hello\.git/);
    const apps = await laambda('apps', '--json');
    assert.deepEqual(JSON.parse(apps.stdout).map((app: { name: string }) => app.name), ['hello']);
  });

  it('deploys with git push (the login token through the credential helper), streaming the build, and serves the route', async () => {
    const push = await git('push', '-q', 'laambda', 'main');
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /remote: -----> .*Released v1/s);
    assert.equal((await curl('/hello?name=Ada')).message, 'Hello, Ada!');
  });

  it('makes config changes a release seen by the next invocation', async () => {
    const set = await laambda('config:set', 'GREETING=Howdy');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /v2/);
    assert.equal((await curl('/hello?name=Ada')).message, 'Howdy, Ada!');
    const get = await laambda('config:get', 'GREETING');
    assert.equal(get.stdout.trim(), 'Howdy');
  });

  it('lists releases v1..v3 and rolls back to v1 code and config', async () => {
    const source = readFileSync(path.join(work, 'index.js'), 'utf8');
    writeFileSync(path.join(work, 'index.js'), source.replace('warmInvocations: invocations,', 'warmInvocations: invocations,\n    edition: 2,'));
    await commit('edition 2');
    const push = await git('push', '-q', 'laambda', 'main');
    assert.equal(push.code, 0, push.stderr);
    assert.deepEqual(await curl('/hello?name=Ada').then((r) => [r.message, r.edition]), ['Howdy, Ada!', 2]);

    const releases = await laambda('releases', '--json');
    assert.deepEqual(JSON.parse(releases.stdout).map((r: { version: number }) => r.version), [3, 2, 1]);
    const table = await laambda('releases');
    for (const version of ['v1', 'v2', 'v3']) assert.match(table.stdout, new RegExp(`\\b${version}\\b`));

    const rollback = await laambda('rollback', 'v1');
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /v4/);
    const back = await curl('/hello?name=Ada');
    assert.equal(back.message, 'Hello, Ada!');
    assert.equal(back.edition, undefined);
  });

  it('fails a push with a broken handler and keeps the live release serving', async () => {
    writeFileSync(path.join(work, 'index.js'), 'exports.handler = async () => {\n  return "unclosed;\n');
    await commit('broken');
    const push = await git('push', 'laambda', 'main');
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /remote: .*ERR_BUILD_INIT_FAILED/);
    assert.equal((await curl('/hello?name=Ada')).message, 'Hello, Ada!');
    const releases = JSON.parse((await laambda('releases', '--json')).stdout);
    assert.equal(releases[0].version, 4);
    const builds = JSON.parse((await laambda('builds', '--json')).stdout);
    assert.equal(builds[0].status, 'failed');
  });
});
