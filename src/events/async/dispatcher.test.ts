import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { AsyncConfig, Destination } from '../../core/app.ts';
import type { App, AsyncInvocation, PlatformStorage } from '../../core/platform.ts';
import { silentLogger } from '../../core/ports.ts';
import { createSqliteStorage } from '../../storage/index.ts';
import { createFakeTime, type FakeTime } from '../schedule/fake-time.ts';
import { createAsyncDispatcher, type AsyncDispatcher, type AsyncRunResult } from './dispatcher.ts';
import type { InvocationRecord } from './record.ts';

const T0 = Date.parse('2024-03-01T00:00:00Z');
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

interface Delivery {
  destination: Destination;
  record: InvocationRecord;
}

/** Deliveries as they come, awaitable one by one. */
class Deliveries {
  readonly all: Delivery[] = [];
  #waiters: Array<(delivery: Delivery) => void> = [];
  push(delivery: Delivery): void {
    this.all.push(delivery);
    this.#waiters.shift()?.(delivery);
  }
  next(): Promise<Delivery> {
    const seen = this.all.length;
    return new Promise((resolve) => {
      if (this.all.length > seen) resolve(this.all[seen]!);
      else this.#waiters.push(resolve);
    });
  }
}

describe('async dispatcher', () => {
  let dataDir: string;
  let storage: PlatformStorage;
  let app: App;
  let time: FakeTime;
  let dispatcher: AsyncDispatcher | undefined;
  let deliveries: Deliveries;
  let runs: AsyncInvocation[];

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'laambda-async-'));
    dirs.push(dataDir);
    storage = await createSqliteStorage({ dataDir });
    app = await storage.apps.create({ name: 'shop', domain: null });
    time = createFakeTime(T0);
    deliveries = new Deliveries();
    runs = [];
  });

  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    await storage.close();
  });

  function start(config: Partial<AsyncConfig>, answer: (invocation: AsyncInvocation) => AsyncRunResult): AsyncDispatcher {
    const created = createAsyncDispatcher({
      store: storage.invocations,
      logger: silentLogger,
      clock: time,
      timers: time,
      async run(invocation) {
        runs.push(invocation);
        return answer(invocation);
      },
      configFor: async () => ({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600, onSuccess: { kind: 'queue', name: 'done' }, onFailure: { kind: 'function', name: 'dlq' }, ...config }),
      deliver: async (destination, record) => deliveries.push({ destination, record }),
      functionArn: (invocation) => `arn:aws:lambda:eu-west-1:123456789012:function:shop-${invocation.functionName}`,
    });
    created.start();
    dispatcher = created;
    return created;
  }

  const enqueue = (target: AsyncDispatcher, id: string, createdAt = time.now()) =>
    target.enqueue({ id, appId: app.id, functionName: 'worker', release: null, payload: Buffer.from('{"order":42}'), attempts: 0, createdAt, source: 'invoke' });

  const failing = (): AsyncRunResult => ({ failed: true, payload: Buffer.from('{"errorType":"Error","errorMessage":"boom"}'), executedVersion: '$LATEST' });

  it('retries after a minute and sends RetriesExhausted to onFailure after the last attempt', async () => {
    const target = start({ maximumRetryAttempts: 1 }, failing);
    const delivered = deliveries.next();
    await enqueue(target, 'req-1');
    await time.waitForTimer();
    assert.equal(runs.length, 1);
    time.advance(59_999);
    assert.equal(runs.length, 1, 'no retry before the back-off');
    time.advance(1);
    const { destination, record } = await delivered;
    assert.equal(runs.length, 2);
    assert.deepEqual(destination, { kind: 'function', name: 'dlq' });
    assert.deepEqual(record, {
      version: '1.0',
      timestamp: new Date(T0 + 60_000).toISOString(),
      requestContext: {
        requestId: 'req-1',
        functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shop-worker:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 2,
      },
      requestPayload: { order: 42 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'boom' },
    });
    await target.stop();
    assert.deepEqual(await storage.invocations.pending(10), [], 'removed once delivered');
  });

  it('runs once and goes to onFailure at once with maximumRetryAttempts 0', async () => {
    const target = start({ maximumRetryAttempts: 0 }, failing);
    const delivered = deliveries.next();
    await enqueue(target, 'req-1');
    const { record } = await delivered;
    assert.equal(runs.length, 1);
    assert.equal(record.requestContext.condition, 'RetriesExhausted');
    assert.equal(record.requestContext.approximateInvokeCount, 1);
  });

  it('does not run an event older than maximumEventAge again: EventAgeExceeded goes to onFailure', async () => {
    // Attempts at 0 s and 60 s fail; the next retry (at 180 s) finds the event 180 s old.
    const target = start({ maximumEventAgeSeconds: 100 }, failing);
    const delivered = deliveries.next();
    await enqueue(target, 'req-1');
    await time.waitForTimer();
    time.advance(60_000);
    await time.waitForTimer();
    assert.equal(runs.length, 2);
    time.advance(120_000);
    const { destination, record } = await delivered;
    assert.equal(runs.length, 2, 'the expired event is not run');
    assert.deepEqual(destination, { kind: 'function', name: 'dlq' });
    assert.equal(record.requestContext.condition, 'EventAgeExceeded');
    assert.equal(record.requestContext.approximateInvokeCount, 2);
    assert.deepEqual(record.requestPayload, { order: 42 });
    assert.equal(record.responseContext, undefined);
  });

  it('drops an event that waited too long before its first attempt', async () => {
    const target = start({ maximumEventAgeSeconds: 60 }, () => ({ failed: false }));
    const delivered = deliveries.next();
    await enqueue(target, 'req-old', T0 - 61_000);
    const { record } = await delivered;
    assert.equal(runs.length, 0);
    assert.equal(record.requestContext.condition, 'EventAgeExceeded');
    assert.equal(record.requestContext.approximateInvokeCount, 0);
  });

  it('sends the record of a success to onSuccess', async () => {
    const target = start({}, () => ({ failed: false, payload: Buffer.from('{"ok":true}'), executedVersion: '3' }));
    const delivered = deliveries.next();
    await enqueue(target, 'req-1');
    const { destination, record } = await delivered;
    assert.deepEqual(destination, { kind: 'queue', name: 'done' });
    assert.deepEqual(record.requestContext, {
      requestId: 'req-1',
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:shop-worker:3',
      condition: 'Success',
      approximateInvokeCount: 1,
    });
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '3' });
    assert.deepEqual(record.responsePayload, { ok: true });
  });

  it('ignores a second invocation with the same request id', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const target = createAsyncDispatcher({
      store: storage.invocations,
      logger: silentLogger,
      clock: time,
      timers: time,
      async run(invocation) {
        runs.push(invocation);
        await gate;
        return { failed: false };
      },
      configFor: async () => ({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600, onSuccess: { kind: 'queue', name: 'done' } }),
      deliver: async (destination, record) => deliveries.push({ destination, record }),
    });
    target.start();
    dispatcher = target;
    const delivered = deliveries.next();
    assert.equal(await enqueue(target, 'req-1'), true);
    assert.equal(await enqueue(target, 'req-1'), false);
    release();
    await delivered;
    assert.equal(await enqueue(target, 'req-2'), true);
    await deliveries.next();
    assert.deepEqual(
      runs.map((run) => run.id),
      ['req-1', 'req-2'],
    );
  });

  it('keeps a pending retry across a restart and runs it when it is due, not before', async () => {
    let fail = true;
    const first = start({}, () => (fail ? failing() : { failed: false, payload: Buffer.from('"done"') }));
    await enqueue(first, 'req-1');
    await time.waitForTimer();
    await first.stop();
    dispatcher = undefined;
    await storage.close();

    storage = await createSqliteStorage({ dataDir });
    const [stored] = await storage.invocations.pending(10);
    assert.equal(stored?.attempts, 1);
    assert.equal(stored?.nextAttemptAt, T0 + 60_000);
    assert.equal(stored?.source, 'invoke');
    assert.deepEqual(await storage.invocations.pending(10, T0 + 59_999), []);

    fail = false;
    const restarted = new Deliveries();
    deliveries = restarted;
    const delivered = restarted.next();
    start({}, () => ({ failed: false, payload: Buffer.from('"done"') }));
    await time.waitForTimer();
    assert.equal(runs.length, 1, 'not run again before its retry time');
    time.advance(60_000);
    const { record } = await delivered;
    assert.equal(runs.length, 2);
    assert.equal(record.requestContext.condition, 'Success');
    assert.equal(record.requestContext.approximateInvokeCount, 2);
    assert.equal(record.responsePayload, 'done');
  });
});
