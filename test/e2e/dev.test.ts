import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'laambda.js');

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('laambda dev (CLI)', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'laambda-dev-e2e-'));
    env = { ...process.env, HOME: dir, NO_COLOR: '1' };
    delete env.LAAMBDA_DATA_DIR;
    await writeFile(path.join(dir, 'Procfile'), 'hello: index.handler\n');
    await writeFile(
      path.join(dir, 'index.js'),
      `let count = 0;
exports.handler = async (event) => { count += 1; console.log('call', count); return { statusCode: 200, body: JSON.stringify({ count }) }; };\n`,
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints the port it picked, serves routes, lets invoke reuse its warm environment, and stops on SIGTERM', async () => {
    const dev = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--json'], { cwd: dir, env });
    let stderr = '';
    dev.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => dev.on('close', resolve));
    const lines = createInterface({ input: dev.stdout });
    const seen: any[] = [];
    let listening: any;
    for await (const line of lines) {
      const record = JSON.parse(line);
      seen.push(record);
      if (record.type === 'listening') {
        listening = record;
        break;
      }
    }
    assert.ok(listening, `dev never said it was listening: ${stderr}`);
    assert.match(listening.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(listening.url).port, '0');
    assert.deepEqual(listening.routes.map((r: any) => r.route), ['ANY /hello', 'ANY /hello/{proxy+}']);

    const health = await fetch(`${listening.url}/__laambda/health`);
    assert.equal(health.status, 200);
    const first = await fetch(`${listening.url}/hello`);
    assert.deepEqual(await first.json(), { count: 1 });

    const invoked = await run(['invoke', 'hello'], dir, env);
    assert.equal(invoked.code, 0, invoked.stderr);
    assert.deepEqual(JSON.parse(JSON.parse(invoked.stdout).body), { count: 2 }, 'invoke ran in dev\'s warm environment');
    assert.match(invoked.stderr, /ran on laambda dev/);
    assert.match(invoked.stderr, /call 2/);

    dev.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(existsSync(path.join(dir, '.laambda', 'dev.json')), false, 'the advert is gone after dev stops');

    const standalone = await run(['invoke', 'hello'], dir, env);
    assert.equal(standalone.code, 0, standalone.stderr);
    assert.deepEqual(JSON.parse(JSON.parse(standalone.stdout).body), { count: 1 }, 'without dev, invoke starts its own environment');
  });

  it('exits with a clear error when the port is taken', async () => {
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as import('node:net').AddressInfo).port;
    try {
      const result = await run(['dev', '--port', String(port)], dir, env);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`ERR_DEV_LISTEN_FAILED: cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} on 127\\.0\\.0\\.1 is in use`));
      assert.match(result.stderr, /fix: .*--port/);
    } finally {
      blocker.close();
    }
  });
});
