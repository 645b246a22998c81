// Queue → function mappings with real functions: messages sent to a durable queue are delivered
// by createQueueMappings to Node handlers running in the runtime engine, as Lambda's SQS event
// source mapping delivers them.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';

import type { QueueEventSource } from '../../src/core/app.ts';
import { LaambdaError } from '../../src/core/errors.ts';
import type { PlatformStorage } from '../../src/core/platform.ts';
import { DEFAULT_QUEUE_ATTRIBUTES } from '../../src/core/queues.ts';
import {
  createQueueMappings,
  createQueueService,
  validateMapping,
  type QueueMappings,
  type QueueService,
  type SqsEvent,
} from '../../src/events/queue/index.ts';
import type { FunctionSpec } from '../../src/runtime/index.ts';
import { createSqliteStorage } from '../../src/storage/index.ts';
import { EngineHarness, nodeFunction, waitFor, type TrackedEngine } from '../support/engine.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const harness = new EngineHarness();
let tracked: TrackedEngine;
let storage: PlatformStorage;
let service: QueueService;
let mappings: QueueMappings;
const specs = new Map<string, FunctionSpec>();

interface Call {
  fn: string;
  event: SqsEvent;
  at: number;
  failed: boolean;
}
const calls: Call[] = [];
const called = new EventEmitter();

/** The next `count` invocations of `fn` (counting those already made after `from`). */
async function invocations(fn: string, count: number, from = 0): Promise<Call[]> {
  const mine = (): Call[] => calls.slice(from).filter((call) => call.fn === fn);
  if (mine().length >= count) return mine().slice(0, count);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      called.off('call', check);
      reject(new Error(`timed out waiting for ${count} invocations of ${fn}; got ${mine().length}`));
    }, 15_000);
    function check(): void {
      if (mine().length < count) return;
      clearTimeout(timer);
      called.off('call', check);
      resolve(mine().slice(0, count));
    }
    called.on('call', check);
  });
}

function source(queue: string, extra: Partial<QueueEventSource> = {}): QueueEventSource {
  return { kind: 'queue', queue, batchSize: 10, maximumBatchingWindowSeconds: 0, reportBatchItemFailures: false, enabled: true, ...extra };
}

async function app(name: string): Promise<string> {
  return (await storage.apps.create({ name, domain: null })).id;
}

async function fn(name: string, code: string, timeoutS = 1): Promise<void> {
  specs.set(name, nodeFunction(name, await harness.app({ 'index.js': code }), { timeoutS }));
}

async function drained(appId: string, queue: string): Promise<void> {
  await waitFor(
    async () => {
      const stats = await service.stats(appId, queue);
      return stats.visible + stats.inFlight + stats.delayed === 0;
    },
    { message: `queue ${queue} to be empty` },
  );
}

before(async () => {
  tracked = await harness.engine();
  storage = await createSqliteStorage({ dataDir: await harness.dir('laambda-queue-data-') });
  service = createQueueService({ store: storage.queues, region: REGION, accountId: ACCOUNT });
  mappings = createQueueMappings({
    service,
    region: REGION,
    accountId: ACCOUNT,
    retryDelayMs: 50,
    invoke: async (_appId, name, payload) => {
      const result = await tracked.engine.invoke(specs.get(name)!, { payload });
      calls.push({ fn: name, event: JSON.parse(payload.toString('utf8')) as SqsEvent, at: Date.now(), failed: result.error !== undefined });
      called.emit('call');
      return result;
    },
  });
  await fn('collect', `exports.handler = async (event) => ({ got: event.Records.length });`);
  await fn('flaky', `exports.handler = async (event) => ({
    batchItemFailures: event.Records
      .filter((r) => r.body.startsWith('fail') && r.attributes.ApproximateReceiveCount === '1')
      .map((r) => ({ itemIdentifier: r.messageId })),
  });`);
  await fn('broken', `exports.handler = async () => { throw new Error('cannot process orders today'); };`);
  await fn('liar', `exports.handler = async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] });`);
});

after(async () => {
  await mappings?.stop();
  service?.close();
  await storage?.close();
  await harness.cleanup();
});

describe('queue → function mappings', () => {
  it('delivers ten messages as one batch of ten Lambda SQS records and deletes them on success', async () => {
    const appId = await app('batching');
    await service.createQueue(appId, 'orders', { visibilityTimeoutS: 30 });
    await mappings.sync(appId, [{ functionName: 'collect', functionTimeoutS: 1, source: source('orders', { maximumBatchingWindowSeconds: 2 }) }]);
    const from = calls.length;
    for (let i = 0; i < 10; i += 1) {
      await service.send(appId, 'orders', [{ body: `order ${i}`, messageAttributes: { kind: { dataType: 'String', stringValue: 'order' } } }], { senderId: 'AKIDTEST' });
    }
    const [call] = await invocations('collect', 1, from);
    assert.equal(call!.event.Records.length, 10);
    assert.deepEqual(call!.event.Records.map((r) => r.body).sort(), Array.from({ length: 10 }, (_, i) => `order ${i}`));
    const record = call!.event.Records[0]!;
    assert.equal(record.eventSource, 'aws:sqs');
    assert.equal(record.eventSourceARN, `arn:aws:sqs:${REGION}:${ACCOUNT}:orders`);
    assert.equal(record.awsRegion, REGION);
    assert.equal(record.attributes.ApproximateReceiveCount, '1');
    assert.equal(record.attributes.SenderId, 'AKIDTEST');
    assert.match(record.attributes.SentTimestamp, /^\d{13}$/);
    assert.match(record.attributes.ApproximateFirstReceiveTimestamp, /^\d{13}$/);
    assert.deepEqual(record.messageAttributes.kind, { stringValue: 'order', stringListValues: [], binaryListValues: [], dataType: 'String' });
    assert.match(record.md5OfBody, /^[0-9a-f]{32}$/);
    assert.match(record.md5OfMessageAttributes!, /^[0-9a-f]{32}$/);
    assert.ok(record.receiptHandle.length > 0);
    await drained(appId, 'orders');
    const [status] = mappings.status(appId);
    assert.equal(status!.state, 'polling');
    assert.equal(status!.processed, 10);
  });

  it('deletes all but the reported batch item failures, which come back alone', async () => {
    const appId = await app('partial');
    await service.createQueue(appId, 'jobs', { visibilityTimeoutS: 1 });
    await mappings.sync(appId, [{ functionName: 'flaky', functionTimeoutS: 1, source: source('jobs', { reportBatchItemFailures: true }) }]);
    const from = calls.length;
    const sent = await service.send(appId, 'jobs', ['ok 1', 'fail 1', 'ok 2', 'fail 2', 'ok 3'].map((body) => ({ body })));
    const failing = sent.filter((_, i) => i === 1 || i === 3).map((r) => (r.ok ? r.messageId : ''));
    const [first, second] = await invocations('flaky', 2, from);
    assert.equal(first!.event.Records.length, 5);
    assert.deepEqual(second!.event.Records.map((r) => r.messageId).sort(), failing.sort());
    assert.ok(second!.event.Records.every((r) => r.attributes.ApproximateReceiveCount === '2'));
    await drained(appId, 'jobs');
  });

  it('retries the whole batch when the function names a message that is not in it', async () => {
    const appId = await app('liar');
    await service.createQueue(appId, 'tasks', { visibilityTimeoutS: 1 });
    await mappings.sync(appId, [{ functionName: 'liar', functionTimeoutS: 1, source: source('tasks', { reportBatchItemFailures: true }) }]);
    const from = calls.length;
    await service.send(appId, 'tasks', [{ body: 'a' }, { body: 'b' }]);
    const [, again] = await invocations('liar', 2, from);
    assert.equal(again!.event.Records.length, 2);
    assert.match(mappings.status(appId)[0]!.lastError ?? '', /batchItemFailures/);
    await mappings.sync(appId, []);
  });

  it('moves a message the function always fails on to the dead-letter queue after maxReceiveCount', async () => {
    const appId = await app('poison');
    await service.createQueue(appId, 'payments-dlq');
    await service.createQueue(appId, 'payments', {
      visibilityTimeoutS: 1,
      redrivePolicy: { deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:payments-dlq`, maxReceiveCount: 2 },
    });
    await mappings.sync(appId, [{ functionName: 'broken', functionTimeoutS: 1, source: source('payments') }]);
    const from = calls.length;
    await service.send(appId, 'payments', [{ body: 'poison pill' }]);
    const tries = await invocations('broken', 2, from);
    assert.ok(tries.every((call) => call.failed));
    assert.deepEqual(tries.map((call) => call.event.Records[0]!.attributes.ApproximateReceiveCount), ['1', '2']);
    await waitFor(async () => (await service.stats(appId, 'payments-dlq')).visible === 1, { message: 'the message in the DLQ' });
    const [dead] = await service.receive(appId, 'payments-dlq', { max: 1 });
    assert.equal(dead!.body, 'poison pill');
    assert.match(mappings.status(appId)[0]!.lastError ?? '', /cannot process orders today/);
    await mappings.sync(appId, []);
  });

  it('honours DelaySeconds', async () => {
    const appId = await app('delay');
    await service.createQueue(appId, 'later', { visibilityTimeoutS: 30 });
    await mappings.sync(appId, [{ functionName: 'collect', functionTimeoutS: 1, source: source('later') }]);
    const from = calls.length;
    const sentAt = Date.now();
    await service.send(appId, 'later', [{ body: 'in a second', delayS: 1 }]);
    const [call] = await invocations('collect', 1, from);
    assert.equal(call!.event.Records[0]!.body, 'in a second');
    assert.ok(call!.at - sentAt >= 900, `delivered after ${call!.at - sentAt} ms`);
    await mappings.sync(appId, []);
  });

  it('does not fire a disabled mapping, and fires once it is enabled', async () => {
    const appId = await app('toggle');
    await service.createQueue(appId, 'paused');
    await service.createQueue(appId, 'running');
    // The running mapping is the witness that pollers had their chance.
    const running = { functionName: 'flaky', functionTimeoutS: 1, source: source('running') };
    await mappings.sync(appId, [{ functionName: 'collect', functionTimeoutS: 1, source: source('paused', { enabled: false }) }, running]);
    const from = calls.length;
    await service.send(appId, 'paused', [{ body: 'wait for me' }]);
    await service.send(appId, 'running', [{ body: 'go' }]);
    await invocations('flaky', 1, from);
    await drained(appId, 'running');
    assert.equal(calls.slice(from).filter((call) => call.fn === 'collect').length, 0);
    assert.equal((await service.stats(appId, 'paused')).visible, 1);
    assert.equal(mappings.status(appId).find((s) => s.queue === 'paused')?.state, 'disabled');

    await mappings.sync(appId, [{ functionName: 'collect', functionTimeoutS: 1, source: source('paused') }, running]);
    const [call] = await invocations('collect', 1, from);
    assert.equal(call!.event.Records[0]!.body, 'wait for me');
    await drained(appId, 'paused');
    await mappings.sync(appId, []);
  });

  it('reports a missing queue and starts once the queue is created', async () => {
    const appId = await app('missing');
    await mappings.sync(appId, [{ functionName: 'collect', functionTimeoutS: 1, source: source('not-yet') }]);
    await waitFor(() => mappings.status(appId)[0]?.state === 'queue-not-found', { message: 'queue-not-found status' });
    const from = calls.length;
    await service.createQueue(appId, 'not-yet');
    await service.send(appId, 'not-yet', [{ body: 'finally' }]);
    const [call] = await invocations('collect', 1, from);
    assert.equal(call!.event.Records[0]!.body, 'finally');
    await mappings.sync(appId, []);
  });

  it('delivers a FIFO group in order, with the FIFO record attributes', async () => {
    const appId = await app('fifo-order');
    await service.createQueue(appId, 'steps.fifo', { fifoQueue: true, visibilityTimeoutS: 30 });
    await mappings.sync(appId, [{ functionName: 'collect', functionTimeoutS: 1, source: source('steps.fifo', { batchSize: 3 }) }]);
    const from = calls.length;
    const bodies = Array.from({ length: 7 }, (_, i) => `step ${i}`);
    const sent = await service.send(appId, 'steps.fifo', bodies.map((body, i) => ({ body, groupId: 'order-1', deduplicationId: `step-${i}` })));
    assert.ok(sent.every((result) => result.ok));
    await drained(appId, 'steps.fifo');
    const delivered = calls.slice(from).filter((call) => call.fn === 'collect').flatMap((call) => call.event.Records);
    assert.deepEqual(delivered.map((r) => r.body), bodies);
    const record = delivered[0]!;
    assert.equal(record.attributes.MessageGroupId, 'order-1');
    assert.equal(record.attributes.MessageDeduplicationId, 'step-0');
    assert.match(record.attributes.SequenceNumber!, /^\d{20}$/);
    await mappings.sync(appId, []);
  });

  it('returns a failed FIFO message with the rest of its group, in order, and deletes the other groups', async () => {
    const appId = await app('fifo-failure');
    await service.createQueue(appId, 'flow.fifo', { fifoQueue: true, contentBasedDeduplication: true, visibilityTimeoutS: 1 });
    await mappings.sync(appId, [{ functionName: 'flaky', functionTimeoutS: 1, source: source('flow.fifo', { reportBatchItemFailures: true }) }]);
    const from = calls.length;
    await service.send(appId, 'flow.fifo', [
      { body: 'g1', groupId: 'g' },
      { body: 'fail g2', groupId: 'g' },
      { body: 'g3', groupId: 'g' },
      { body: 'h1', groupId: 'h' },
    ]);
    const [first, second] = await invocations('flaky', 2, from);
    assert.deepEqual(first!.event.Records.map((r) => r.body), ['g1', 'fail g2', 'g3', 'h1']);
    assert.deepEqual(second!.event.Records.map((r) => r.body), ['fail g2', 'g3']);
    assert.ok(second!.event.Records.every((r) => r.attributes.ApproximateReceiveCount === '2'));
    await drained(appId, 'flow.fifo');
    await mappings.sync(appId, []);
  });

  it("refuses a queue whose visibility timeout is shorter than the function's timeout", async () => {
    assert.throws(
      () => validateMapping({ ...DEFAULT_QUEUE_ATTRIBUTES, visibilityTimeoutS: 30 }, 60),
      (error: unknown) =>
        error instanceof LaambdaError && error.code === 'ERR_EVENT_SOURCE_INVALID' && /30 seconds/.test(error.message) && /60 seconds/.test(error.message),
    );
    validateMapping({ ...DEFAULT_QUEUE_ATTRIBUTES, visibilityTimeoutS: 60 }, 60);

    const appId = await app('too-short');
    await service.createQueue(appId, 'quick', { visibilityTimeoutS: 5 });
    await mappings.sync(appId, [{ functionName: 'collect', functionTimeoutS: 30, source: source('quick') }]);
    await waitFor(() => mappings.status(appId)[0]?.state === 'invalid', { message: 'invalid status' });
    assert.match(mappings.status(appId)[0]!.lastError ?? '', /VisibilityTimeout/);
    await mappings.sync(appId, []);
  });
});
