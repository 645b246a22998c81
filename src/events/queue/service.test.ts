// QueueService over the real SQLite store with a fake clock: timing rules without waiting.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { PlatformStorage } from '../../core/platform.ts';
import { md5OfMessageAttributes } from '../../core/queues.ts';
import { createSqliteStorage } from '../../storage/index.ts';
import { createQueueService, type QueueService } from './service.ts';

let dir = '';
let storage: PlatformStorage;
let service: QueueService;
let appId = '';
let now = 1_700_000_000_000;
const clock = { now: () => now, monotonic: () => now };

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'laambda-queue-service-'));
  storage = await createSqliteStorage({ dataDir: dir });
  appId = (await storage.apps.create({ name: 'unit', domain: null })).id;
  service = createQueueService({ store: storage.queues, region: 'eu-west-1', accountId: '123456789012', clock, sweepIntervalMs: 0 });
});

after(async () => {
  service.close();
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

describe('QueueService', () => {
  it('computes MD5OfMessageAttributes as AWS does', () => {
    // Digests pinned by moto's suite as AWS's answers.
    assert.equal(md5OfMessageAttributes({ timestamp: { dataType: 'Number', stringValue: '1493147359900' } }), '235c5c510d26fb653d073faed50ae77c');
    assert.equal(md5OfMessageAttributes({ timestamp: { dataType: 'Number', stringValue: '1493147359901' } }), '994258b45346a2cc3f9cbb611aa7af30');
    assert.equal(md5OfMessageAttributes({}), undefined);
  });

  it('keeps a delayed message back until its delay has passed', async () => {
    await service.createQueue(appId, 'delay');
    await service.send(appId, 'delay', [{ body: 'x', delayS: 60 }]);
    assert.equal((await service.stats(appId, 'delay')).delayed, 1);
    now += 59_000;
    assert.deepEqual(await service.receive(appId, 'delay', { max: 1 }), []);
    now += 1_000;
    assert.equal((await service.receive(appId, 'delay', { max: 1 }))[0]?.body, 'x');
  });

  it('hides a received message for the visibility timeout and counts receives', async () => {
    await service.createQueue(appId, 'vis', { visibilityTimeoutS: 120 });
    await service.send(appId, 'vis', [{ body: 'v' }]);
    const [first] = await service.receive(appId, 'vis', { max: 1 });
    assert.equal((await service.stats(appId, 'vis')).inFlight, 1);
    now += 119_000;
    assert.deepEqual(await service.receive(appId, 'vis', { max: 1 }), []);
    now += 1_000;
    const [second] = await service.receive(appId, 'vis', { max: 1 });
    assert.equal(second!.receiveCount, 2);
    assert.equal(second!.firstReceivedAt, first!.firstReceivedAt);
    const [stale] = await service.changeVisibility(appId, 'vis', [{ receiptHandle: first!.receiptHandle, visibilityTimeoutS: 0 }]);
    assert.equal(stale!.ok, false);
  });

  it('drops messages past the retention period and reports the age of the oldest', async () => {
    await service.createQueue(appId, 'retain', { retentionS: 60 });
    await service.send(appId, 'retain', [{ body: 'old' }]);
    now += 30_000;
    assert.equal((await service.stats(appId, 'retain')).ageOfOldestMessageS, 30);
    now += 30_000;
    assert.deepEqual(await service.receive(appId, 'retain', { max: 10 }), []);
    assert.equal((await service.stats(appId, 'retain')).visible, 0);
  });

  it('refuses out-of-range attributes and a redrive policy naming the queue itself', async () => {
    await assert.rejects(service.createQueue(appId, 'bad', { visibilityTimeoutS: 43_201 }), { code: 'ERR_QUEUE_INVALID' });
    await assert.rejects(service.createQueue(appId, 'bad', { retentionS: 59 }), { code: 'ERR_QUEUE_INVALID' });
    await assert.rejects(
      service.createQueue(appId, 'self', { redrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:self', maxReceiveCount: 1 } }),
      { code: 'ERR_QUEUE_INVALID' },
    );
    await assert.rejects(service.getQueue(appId, 'nope'), { code: 'ERR_QUEUE_NOT_FOUND' });
  });

  it('pages through queues by name', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await service.createQueue(appId, name);
    const first = await service.listQueues(appId, { prefix: 'page-', max: 2 });
    assert.deepEqual(first.queues.map((q) => q.name), ['page-a', 'page-b']);
    const second = await service.listQueues(appId, { prefix: 'page-', max: 2, nextToken: first.nextToken! });
    assert.deepEqual(second.queues.map((q) => q.name), ['page-c']);
    assert.equal(second.nextToken, undefined);
  });

  it('remembers a FIFO deduplication id for 5 minutes of its clock', async () => {
    await service.createQueue(appId, 'window.fifo', { fifoQueue: true });
    const send = async (body: string) => (await service.send(appId, 'window.fifo', [{ body, groupId: 'g', deduplicationId: 'd' }]))[0]!;
    const first = await send('one');
    assert.ok(first.ok);
    now += 4 * 60_000 + 59_999;
    const duplicate = await send('two');
    assert.ok(duplicate.ok);
    assert.equal(duplicate.messageId, first.messageId);
    assert.equal(duplicate.sequenceNumber, first.sequenceNumber);
    now += 1;
    const fresh = await send('three');
    assert.ok(fresh.ok);
    assert.notEqual(fresh.messageId, first.messageId);
    assert.ok(BigInt(fresh.sequenceNumber!) > BigInt(first.sequenceNumber!));
    const received = await service.receive(appId, 'window.fifo', { max: 10 });
    assert.deepEqual(received.map((m) => m.body), ['one', 'three']);
  });

  it('stops serving the queues of a removed app once told to forget it', async () => {
    const gone = (await storage.apps.create({ name: 'gone', domain: null })).id;
    await service.createQueue(gone, 'cached');
    await service.getQueue(gone, 'cached');
    await storage.apps.remove(gone);
    service.forgetApp(gone);
    await assert.rejects(service.getQueue(gone, 'cached'), { code: 'ERR_QUEUE_NOT_FOUND' });
  });

  it('answers ERR_QUEUE_NOT_FOUND when a send finds its cached queue removed with its app', async () => {
    const gone = (await storage.apps.create({ name: 'gone-too', domain: null })).id;
    await service.createQueue(gone, 'cached');
    await service.getQueue(gone, 'cached');
    await storage.apps.remove(gone);
    await assert.rejects(service.send(gone, 'cached', [{ body: 'x' }]), { code: 'ERR_QUEUE_NOT_FOUND' });
    await assert.rejects(service.getQueue(gone, 'cached'), { code: 'ERR_QUEUE_NOT_FOUND' });
  });

  it('ends a long poll when the service closes', async () => {
    const local = createQueueService({ store: storage.queues, region: 'eu-west-1', accountId: '1', sweepIntervalMs: 0 });
    await local.createQueue(appId, 'closing');
    const pending = local.receive(appId, 'closing', { max: 1, waitS: 20 });
    local.close();
    assert.deepEqual(await pending, []);
  });
});
