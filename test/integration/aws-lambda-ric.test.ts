// The official AWS Lambda Node runtime interface client (npm aws-lambda-ric 3.3.0), unmodified,
// drives a `provided` (custom runtime) function against laambda's Lambda Runtime API.
// The client is a native addon built on first use with the system Node 20 (see
// test/support/aws-lambda-ric.ts); the test skips only when the build tools are missing.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createEngine } from '../../src/runtime/index.ts';
import { ensureAwsLambdaRic } from '../support/aws-lambda-ric.ts';

const codeDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ric-app');

type Engine = Awaited<ReturnType<typeof createEngine>>;

interface HandlerResult {
  echo: unknown;
  requestId: string;
  fn: string;
  remaining: boolean;
  invocations: number;
  node: string;
}

describe('aws-lambda-ric on the Runtime API', { timeout: 25 * 60_000 }, () => {
  let skip: string | undefined;
  let ricDir = '';
  let dataDir = '';
  let engine: Engine | undefined;

  before(
    async () => {
      const ric = await ensureAwsLambdaRic();
      if ('skip' in ric) {
        skip = ric.skip;
        return;
      }
      ricDir = ric.dir;
      dataDir = await mkdtemp(join(tmpdir(), 'laambda-ric-'));
      engine = await createEngine({ dataDir });
    },
    { timeout: 22 * 60_000 },
  );

  after(async () => {
    await engine?.close();
    if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
  });

  function fn(name: string, handler: string) {
    return {
      name,
      codeDir,
      handler,
      runtime: 'provided',
      timeoutS: 10,
      memoryMB: 256,
      environment: { LAAMBDA_TEST_RIC_DIR: ricDir },
    } as const;
  }

  it('round-trips the event and context, and reuses the warm environment', async (t) => {
    if (skip !== undefined || engine === undefined) return t.skip(skip);
    const config = fn('ric', 'index.handler');

    const first = await engine.invoke(config, { payload: JSON.stringify({ hello: 'world' }) });
    assert.equal(first.error, undefined, `unexpected error: ${JSON.stringify(first.error)}`);
    const one = JSON.parse(first.payload.toString('utf8')) as HandlerResult;
    assert.deepEqual(one.echo, { hello: 'world' });
    assert.equal(one.requestId, first.requestId);
    assert.equal(one.fn, 'ric');
    assert.equal(one.remaining, true);
    assert.equal(one.invocations, 1);
    assert.match(one.node, /^v20\./, 'ric runs on the system Node 20');

    const second = await engine.invoke(config, { payload: JSON.stringify({ n: 2 }) });
    assert.equal(second.error, undefined, `unexpected error: ${JSON.stringify(second.error)}`);
    const two = JSON.parse(second.payload.toString('utf8')) as HandlerResult;
    assert.deepEqual(two.echo, { n: 2 });
    assert.equal(two.requestId, second.requestId);
    assert.notEqual(second.requestId, first.requestId);
    assert.equal(two.invocations, 2, 'the second invoke reuses the warm environment');
  });

  it('reports a thrown error through ric', async (t) => {
    if (skip !== undefined || engine === undefined) return t.skip(skip);
    const res = await engine.invoke(fn('ric-throws', 'index.throws'), { payload: JSON.stringify({ hello: 'world' }) });
    assert.ok(res.error, `expected an error, got payload ${res.payload.toString('utf8')}`);
    assert.equal(res.error.errorType, 'RicFixtureError');
    assert.equal(res.error.errorMessage, 'refused {"hello":"world"}');
  });

  // ric posts init errors with Node's http client to the host:port it splits out of
  // AWS_LAMBDA_RUNTIME_API, dropping any path after the port: each environment's address is
  // therefore a bare host:port.
  it('reports an init error (handler not found) through ric', async (t) => {
    if (skip !== undefined || engine === undefined) return t.skip(skip);
    const res = await engine.invoke(fn('ric-missing', 'index.missing'), { payload: '{}' });
    assert.ok(res.error, `expected an error, got payload ${res.payload.toString('utf8')}`);
    assert.equal(res.error.errorType, 'Runtime.HandlerNotFound');
    assert.equal(res.error.errorMessage, 'index.missing is undefined or not exported');
  });
});
