// Async invocations end to end with real functions: a handler that always throws is retried
// after the back-off, then its invocation record goes to an OnFailure function, which receives
// it as its event.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App, PlatformStorage } from '../../src/core/platform.ts';
import { silentLogger } from '../../src/core/ports.ts';
import { createAsyncDispatcher } from '../../src/events/async/index.ts';
import type { InvocationRecord } from '../../src/events/async/index.ts';
import { createFakeTime } from '../../src/events/schedule/fake-time.ts';
import { createSqliteStorage } from '../../src/storage/index.ts';
import { EngineHarness, json, nodeFunction, type TrackedEngine } from '../support/engine.ts';

const harness = new EngineHarness();
let tracked: TrackedEngine;
let storage: PlatformStorage;
let app: App;

before(async () => {
  tracked = await harness.engine();
  storage = await createSqliteStorage({ dataDir: await harness.dir('laambda-async-store-') });
  app = await storage.apps.create({ name: 'shop', domain: null });
});

after(async () => {
  await storage.close();
  await harness.cleanup();
});

describe('async invocations with real functions', () => {
  it('retries a throwing function once, then invokes the OnFailure function with the RetriesExhausted record', async () => {
    const failsDir = await harness.app({
      'index.js': `let calls = 0; exports.handler = async (event) => { calls += 1; throw new Error('cannot ship order ' + event.order + ' (call ' + calls + ')'); };`,
    });
    const dlqDir = await harness.app({ 'index.js': `exports.handler = async (event) => ({ received: event });` });
    const fails = nodeFunction('shop-ship', failsDir);
    const dlq = nodeFunction('shop-dlq', dlqDir);
    const time = createFakeTime(Date.parse('2024-03-01T00:00:00Z'));

    let attempts = 0;
    let received!: (value: unknown) => void;
    const dlqAnswer = new Promise<unknown>((resolve) => (received = resolve));
    const dispatcher = createAsyncDispatcher({
      store: storage.invocations,
      logger: silentLogger,
      clock: time,
      timers: time,
      async run(invocation) {
        attempts += 1;
        const result = await tracked.engine.invoke(fails, { payload: invocation.payload, requestId: invocation.id });
        return { failed: result.error !== undefined, payload: result.payload, executedVersion: result.executedVersion };
      },
      configFor: async () => ({ maximumRetryAttempts: 1, maximumEventAgeSeconds: 3600, onFailure: { kind: 'function', name: 'dlq' } }),
      async deliver(destination, record) {
        assert.deepEqual(destination, { kind: 'function', name: 'dlq' });
        const result = await tracked.engine.invoke(dlq, { payload: JSON.stringify(record) });
        received(json(result));
      },
      functionArn: (invocation) => `arn:aws:lambda:us-east-1:123456789012:function:${app.name}-${invocation.functionName}`,
    });
    dispatcher.start();
    try {
      assert.equal(
        await dispatcher.enqueue({ id: 'req-ship-1', appId: app.id, functionName: 'ship', release: null, payload: Buffer.from('{"order":7}'), attempts: 0, createdAt: time.now() }),
        true,
      );
      await time.waitForTimer();
      assert.equal(attempts, 1);
      time.advance(60_000);
      const { received: record } = (await dlqAnswer) as { received: InvocationRecord };
      assert.equal(attempts, 2);
      assert.deepEqual(record.requestContext, {
        requestId: 'req-ship-1',
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:shop-ship:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 2,
      });
      assert.deepEqual(record.requestPayload, { order: 7 });
      assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
      const response = record.responsePayload as { errorType: string; errorMessage: string };
      assert.equal(response.errorType, 'Error');
      assert.equal(response.errorMessage, 'cannot ship order 7 (call 2)');
    } finally {
      await dispatcher.stop();
    }
    assert.deepEqual(await storage.invocations.pending(10), []);
  });
});
