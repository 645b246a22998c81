import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'laambda.js');
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** Runs `laambda dev` on a copy of an example (tests never write into the repo) and calls `use`. */
async function withDev(example: string, use: (url: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), `laambda-example-${example}-`));
  dirs.push(dir);
  await cp(path.join(ROOT, 'examples', example), dir, { recursive: true, filter: (src) => !src.includes('.laambda') });
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.LAAMBDA_DATA_DIR;
  const dev = spawn(process.execPath, [CLI, 'dev', dir, '--port', '0', '--json'], { env });
  let stderr = '';
  dev.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => dev.on('close', resolve));
  try {
    let url: string | undefined;
    for await (const line of createInterface({ input: dev.stdout })) {
      const record = JSON.parse(line);
      if (record.type === 'listening') {
        url = record.url;
        break;
      }
    }
    assert.ok(url, `laambda dev ${example} did not start: ${stderr}`);
    await use(url);
  } finally {
    dev.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  }
}

describe('the examples under laambda dev, as the README shows them', () => {
  it('hello-node answers /hello?name=Ada', () =>
    withDev('hello-node', async (url) => {
      const reply = await fetch(`${url}/hello?name=Ada`);
      assert.equal(reply.status, 200);
      assert.equal(((await reply.json()) as { message: string }).message, 'Hello, Ada!');
    }));

  it('hello-python answers /hello?name=Ada', () =>
    withDev('hello-python', async (url) => {
      const reply = await fetch(`${url}/hello?name=Ada`);
      assert.equal(reply.status, 200);
      assert.equal(((await reply.json()) as { message: string }).message, 'Hello, Ada!');
    }));

  it('api-ts serves its two routes behind its Lambda authorizer', () =>
    withDev('api-ts', async (url) => {
      assert.equal((await fetch(`${url}/users/1`)).status, 401);
      assert.equal((await fetch(`${url}/users/1`, { headers: { authorization: 'Bearer nope' } })).status, 403);
      const user = await fetch(`${url}/users/1`, { headers: { authorization: 'Bearer ada-token' } });
      assert.equal(user.status, 200);
      assert.deepEqual(await user.json(), { greeting: 'Hello, ada', user: { id: '1', name: 'Ada' } });
      const created = await fetch(`${url}/users`, {
        method: 'POST',
        headers: { authorization: 'Bearer grace-token', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Grace' }),
      });
      assert.equal(created.status, 201);
      assert.equal(((await created.json()) as { createdBy: string }).createdBy, 'grace');
      assert.equal((await fetch(`${url}/authorize`)).status, 404, 'the authorizer has no public route');
    }));
});
