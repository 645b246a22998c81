// The platform's Lambda Invoke API end to end: @aws-sdk/client-lambda signs with SigV4 and calls a
// real node:http server running createInvokeApi, which runs real functions in the engine.
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { InvokeCommand, LambdaClient, type InvokeCommandInput } from '@aws-sdk/client-lambda';

import { createInvokeApi, createSigV4Authenticate, type InvokeCredential } from '../../src/aws/lambda/index.ts';
import { createLogger } from '../../src/observe/logger.ts';
import type { FunctionSpec } from '../../src/runtime/index.ts';
import { COORDINATION_CJS, EngineHarness, nodeFunction, type TrackedEngine, waitFor } from '../support/engine.ts';

const harness = new EngineHarness();
let tracked: TrackedEngine;
let server: Server;
let endpoint = '';
let scratch = '';

/** Access keys and the app each may reach. */
const KEYS: Record<string, InvokeCredential> = {
  AKIDSHOPTEST: { secretAccessKey: 'shop-secret/with+chars', scope: 'shop' },
  AKIDBLOGTEST: { secretAccessKey: 'blog-secret', scope: 'blog' },
};

/** app → function → version (`$LATEST` for the live one) → spec. */
const apps = new Map<string, Map<string, Map<string, FunctionSpec>>>();
const enqueued: Array<{ target: FunctionSpec; payload: string; requestId: string }> = [];

function addFunction(app: string, spec: FunctionSpec): void {
  const functions = apps.get(app) ?? new Map<string, Map<string, FunctionSpec>>();
  apps.set(app, functions);
  const versions = functions.get(spec.name) ?? new Map<string, FunctionSpec>();
  functions.set(spec.name, versions);
  versions.set(spec.version ?? '$LATEST', spec);
}

const HOLDING_HANDLER = `${COORDINATION_CJS}
exports.handler = async (event) => {
  await arrive(event.started, 1);
  await waitForFile(event.release);
  return { released: true };
};`;

before(async () => {
  tracked = await harness.engine();
  scratch = await harness.dir();
  const greetV1 = await harness.app({ 'index.js': `exports.handler = async (e) => ({ edition: 1, hello: e.name });` });
  const greetV2 = await harness.app({ 'index.js': `exports.handler = async (e) => ({ edition: 2, hello: e.name });` });
  const fail = await harness.app({ 'index.js': `exports.handler = async () => { throw new TypeError('the order is gone'); };` });
  const logs = await harness.app({ 'index.js': `exports.handler = async () => { console.log('tail-marker-42'); return 'logged'; };` });
  const hold = await harness.app({ 'index.js': HOLDING_HANDLER });
  const post = await harness.app({ 'index.js': `exports.handler = async () => 'blog post';` });
  addFunction('shop', nodeFunction('shop-greet', greetV1, { version: '1' }));
  addFunction('shop', nodeFunction('shop-greet', greetV2));
  addFunction('shop', nodeFunction('shop-fail', fail));
  addFunction('shop', nodeFunction('shop-logs', logs));
  addFunction('shop', nodeFunction('shop-hold', hold, { concurrency: 1 }));
  addFunction('blog', nodeFunction('blog-post', post));

  const api = createInvokeApi<FunctionSpec>({
    region: 'us-east-1',
    accountId: '000000000000',
    logger: createLogger({ level: 'silent' }),
    authenticate: createSigV4Authenticate({ credentialFor: async (id) => KEYS[id], now: () => Date.now() }),
    resolveTarget: async (name, qualifier, scope) =>
      scope === undefined ? undefined : apps.get(scope)?.get(name)?.get(qualifier ?? '$LATEST'),
    invoke: (spec, request) => tracked.engine.invoke(spec, request),
    enqueue: async (target, payload, requestId) => {
      enqueued.push({ target, payload: payload.toString('utf8'), requestId });
    },
  });
  server = createServer((req, res) => {
    api(req, res).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await harness.cleanup();
});

function client(accessKeyId: string, secretAccessKey = KEYS[accessKeyId]?.secretAccessKey ?? 'unknown'): LambdaClient {
  // One attempt: throttles and auth errors must surface, not be retried.
  return new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}

const shop = () => client('AKIDSHOPTEST');

async function invoke(lambda: LambdaClient, input: InvokeCommandInput) {
  try {
    return await lambda.send(new InvokeCommand(input));
  } finally {
    lambda.destroy();
  }
}

const payloadOf = (bytes: Uint8Array | undefined): unknown => JSON.parse(Buffer.from(bytes ?? []).toString('utf8'));

/** Asserts the SDK threw the named exception with the HTTP status AWS uses. */
async function rejectsWith(pending: Promise<unknown>, name: string, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(pending, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name, error.message);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

describe('Lambda Invoke API through @aws-sdk/client-lambda', () => {
  it('returns the result of a signed synchronous invoke', async () => {
    const out = await invoke(shop(), { FunctionName: 'shop-greet', Payload: JSON.stringify({ name: 'ada' }) });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.ExecutedVersion, '$LATEST');
    assert.deepEqual(payloadOf(out.Payload), { edition: 2, hello: 'ada' });
  });

  it('returns the log tail base64-encoded with LogType Tail', async () => {
    const out = await invoke(shop(), { FunctionName: 'shop-logs', LogType: 'Tail' });
    assert.equal(payloadOf(out.Payload), 'logged');
    assert.match(Buffer.from(out.LogResult ?? '', 'base64').toString('utf8'), /tail-marker-42/);
  });

  it('reports a thrown error as FunctionError Unhandled with a 200 status', async () => {
    const out = await invoke(shop(), { FunctionName: 'shop-fail' });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const { errorType, errorMessage } = payloadOf(out.Payload) as { errorType: string; errorMessage: string };
    assert.deepEqual({ errorType, errorMessage }, { errorType: 'TypeError', errorMessage: 'the order is gone' });
  });

  it('throws ResourceNotFoundException for an unknown function, naming its ARN', async () => {
    await rejectsWith(invoke(shop(), { FunctionName: 'shop-nope' }), 'ResourceNotFoundException', 404,
      /^Function not found: arn:aws:lambda:us-east-1:000000000000:function:shop-nope$/);
  });

  it('runs the version a Qualifier selects, as a parameter, a NAME:VERSION or an ARN', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:shop-greet:1';
    for (const input of [
      { FunctionName: 'shop-greet', Qualifier: '1' },
      { FunctionName: 'shop-greet:1' },
      { FunctionName: arn },
    ]) {
      const out = await invoke(shop(), { ...input, Payload: '{"name":"grace"}' });
      assert.equal(out.ExecutedVersion, '1');
      assert.deepEqual(payloadOf(out.Payload), { edition: 1, hello: 'grace' });
    }
    const live = await invoke(shop(), { FunctionName: 'shop-greet', Qualifier: '$LATEST', Payload: '{}' });
    assert.equal(live.ExecutedVersion, '$LATEST');
    await rejectsWith(invoke(shop(), { FunctionName: 'shop-greet', Qualifier: '9' }), 'ResourceNotFoundException', 404,
      /function:shop-greet:9$/);
  });

  it('accepts an Event invoke with 202 once the payload is enqueued', async () => {
    const before = enqueued.length;
    const out = await invoke(shop(), { FunctionName: 'shop-greet', InvocationType: 'Event', Payload: '{"name":"async"}' });
    assert.equal(out.StatusCode, 202);
    const calls = enqueued.slice(before);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.payload, '{"name":"async"}');
    assert.equal(calls[0]?.target.name, 'shop-greet');
    assert.equal(calls[0]?.requestId, out.$metadata.requestId);
  });

  it('refuses an Event payload over 1 MB with RequestEntityTooLargeException', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    await rejectsWith(invoke(shop(), { FunctionName: 'shop-greet', InvocationType: 'Event', Payload: big }),
      'RequestEntityTooLargeException', 413, /byte payload is too large for the Event invocation type \(limit 1048576 bytes\)/);
  });

  it('refuses a payload that is not JSON with InvalidRequestContentException', async () => {
    await rejectsWith(invoke(shop(), { FunctionName: 'shop-greet', Payload: 'not json' }), 'InvalidRequestContentException', 400,
      /^Could not parse request body into json: Could not parse payload into json: /);
  });

  it('throws TooManyRequestsException past a concurrency limit of 1', async () => {
    const started = path.join(scratch, 'started');
    const release = path.join(scratch, 'release');
    await mkdir(started);
    const first = invoke(shop(), { FunctionName: 'shop-hold', Payload: JSON.stringify({ started, release }) });
    await waitFor(async () => (await readdir(started)).length === 1, { message: 'the first invocation running' });
    await assert.rejects(invoke(shop(), { FunctionName: 'shop-hold', Payload: JSON.stringify({ started, release }) }),
      (error: Error & { Reason?: string; Type?: string; $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, 'TooManyRequestsException', error.message);
        assert.equal(error.$metadata?.httpStatusCode, 429);
        assert.equal(error.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
        assert.equal(error.message, 'Rate Exceeded.');
        return true;
      });
    await writeFile(release, '');
    assert.deepEqual(payloadOf((await first).Payload), { released: true });
  });

  it('throws InvalidSignatureException when the secret is wrong', async () => {
    await rejectsWith(invoke(client('AKIDSHOPTEST', 'not-the-secret'), { FunctionName: 'shop-greet' }), 'InvalidSignatureException', 403,
      /^The request signature we calculated does not match/);
  });

  it('throws InvalidSignatureException when the body is changed after signing', async () => {
    const lambda = shop();
    // After the signer (finalizeRequest), before the request is sent.
    lambda.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown };
        request.body = '{"name":"eve"}';
        return next(args);
      },
      { step: 'deserialize', name: 'tamperBody' },
    );
    await rejectsWith(invoke(lambda, { FunctionName: 'shop-greet', Payload: '{"name":"ada"}' }), 'InvalidSignatureException', 403);
  });

  it('throws UnrecognizedClientException for an unknown access key', async () => {
    await rejectsWith(invoke(client('AKIDNOBODY'), { FunctionName: 'shop-greet' }), 'UnrecognizedClientException', 403,
      /security token included in the request is invalid/);
  });

  it("answers ResourceNotFoundException when one app's key invokes another app's function", async () => {
    await rejectsWith(invoke(client('AKIDBLOGTEST'), { FunctionName: 'shop-greet' }), 'ResourceNotFoundException', 404,
      /function:shop-greet$/);
    const own = await invoke(client('AKIDBLOGTEST'), { FunctionName: 'blog-post' });
    assert.equal(payloadOf(own.Payload), 'blog post');
  });

  it('refuses an unsigned request with MissingAuthenticationTokenException', async () => {
    const res = await fetch(`${endpoint}/2015-03-31/functions/shop-greet/invocations`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.deepEqual(await res.json(), { Type: 'User', message: 'Missing Authentication Token' });
  });

  it('answers DryRun with 204 without running the function', async () => {
    const out = await invoke(shop(), { FunctionName: 'shop-fail', InvocationType: 'DryRun' });
    assert.equal(out.StatusCode, 204);
  });
});
