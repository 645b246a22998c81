// FIFO queues over the SQS endpoint: @aws-sdk/client-sqs against a real node:http server. The
// service runs on a fake clock so visibility timeouts and the deduplication window pass at once.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';

import type { AwsKeyCredential } from '../../src/aws/auth.ts';
import type { PlatformStorage } from '../../src/core/platform.ts';
import { createQueueService, type QueueService } from '../../src/events/queue/index.ts';
import { createSqliteStorage } from '../../src/storage/index.ts';
import { rejectsWith, startSqsServer, type TestAwsServer } from '../support/aws.ts';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
let dataDir = '';
let storage: PlatformStorage;
let service: QueueService;
let server: TestAwsServer;
let sqs: SQSClient;
let now = 1_700_000_000_000;
const clock = { now: () => now, monotonic: () => now };

async function fifoQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true', ...attributes } }));
  return out.QueueUrl!;
}

async function send(url: string, body: string, group: string, dedup = body): Promise<{ MessageId?: string; SequenceNumber?: string }> {
  return sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup }));
}

async function receive(url: string, max = 10, visibility?: number): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: max,
      MessageSystemAttributeNames: ['All'],
      ...(visibility !== undefined ? { VisibilityTimeout: visibility } : {}),
    }),
  );
  return out.Messages ?? [];
}

const bodies = (messages: Message[]): string[] => messages.map((m) => m.Body!);

async function remove(url: string, messages: Message[]): Promise<void> {
  for (const message of messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle! }));
}

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'laambda-sqs-fifo-'));
  storage = await createSqliteStorage({ dataDir });
  const appId = (await storage.apps.create({ name: 'shop', domain: null })).id;
  const keys: Record<string, AwsKeyCredential> = { AKIDSHOP: { secretAccessKey: 'shop-secret', appId } };
  service = createQueueService({ store: storage.queues, region: REGION, accountId: ACCOUNT, clock, sweepIntervalMs: 0 });
  server = await startSqsServer(service, keys);
  sqs = new SQSClient({
    endpoint: server.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDSHOP', secretAccessKey: 'shop-secret' },
    maxAttempts: 1,
  });
});

after(async () => {
  sqs?.destroy();
  service?.close();
  await server?.close();
  await storage?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('FIFO queues', () => {
  it('creates a FIFO queue and reports its FIFO attributes', async () => {
    const url = await fifoQueue('orders.fifo');
    assert.equal(await fifoQueue('orders.fifo'), url, 'same attributes: idempotent');
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    assert.equal(Attributes?.FifoQueue, 'true');
    assert.equal(Attributes?.ContentBasedDeduplication, 'false');
    assert.equal(Attributes?.DeduplicationScope, 'queue');
    assert.equal(Attributes?.FifoThroughputLimit, 'perQueue');
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { ContentBasedDeduplication: 'true' } }));
    const changed = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ContentBasedDeduplication'] }));
    assert.deepEqual(changed.Attributes, { ContentBasedDeduplication: 'true' });
    await rejectsWith(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { FifoQueue: 'false' } })), 'InvalidAttributeValue');
    await rejectsWith(sqs.send(new CreateQueueCommand({ QueueName: 'plain.fifo' })), 'InvalidParameterValue');
    await rejectsWith(sqs.send(new CreateQueueCommand({ QueueName: 'plain', Attributes: { FifoQueue: 'true' } })), 'InvalidParameterValue');
  });

  it('delivers a group in order across receives and holds it back while a message is in flight', async () => {
    const url = await fifoQueue('ordered.fifo');
    const sent = [];
    for (const [body, group] of [['a1', 'a'], ['b1', 'b'], ['a2', 'a'], ['a3', 'a'], ['b2', 'b']] as const) {
      sent.push(await send(url, body, group));
    }
    const sequences = sent.map((s) => BigInt(s.SequenceNumber!));
    assert.deepEqual([...sequences].sort((x, y) => (x < y ? -1 : 1)), sequences, 'sequence numbers increase');

    const first = await receive(url, 2);
    assert.deepEqual(bodies(first), ['a1', 'a2'], 'as many of the oldest group as asked, in order');
    assert.equal(first[0]!.Attributes?.MessageGroupId, 'a');
    assert.equal(first[0]!.Attributes?.MessageDeduplicationId, 'a1');
    assert.equal(first[0]!.Attributes?.SequenceNumber, sent[0]!.SequenceNumber);

    assert.deepEqual(bodies(await receive(url)), ['b1', 'b2'], 'group a is in flight: only group b');
    assert.deepEqual(await receive(url), [], 'both groups in flight');

    await remove(url, first);
    assert.deepEqual(bodies(await receive(url)), ['a3'], 'group a continues after its messages were deleted');
  });

  it('answers a long poll waiting on an in-flight group as soon as that message is deleted', async () => {
    const url = await fifoQueue('waiting.fifo');
    await send(url, 'w1', 'g');
    await send(url, 'w2', 'g');
    const held = await receive(url, 1);
    const pending = sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await remove(url, held);
    assert.deepEqual(bodies((await pending).Messages ?? []), ['w2']);
  });

  it('unblocks a group when the visibility timeout of its message runs out', async () => {
    const url = await fifoQueue('visible.fifo', { VisibilityTimeout: '30' });
    await send(url, 'x1', 'g');
    await send(url, 'x2', 'g');
    const [x1] = await receive(url, 1);
    assert.equal(x1!.Body, 'x1');
    assert.deepEqual(await receive(url), []);
    now += 30_000;
    const again = await receive(url, 1);
    assert.deepEqual(bodies(again), ['x1'], 'the same message again, not the next one');
    assert.equal(again[0]!.Attributes?.ApproximateReceiveCount, '2');
    await remove(url, again);
    assert.deepEqual(bodies(await receive(url)), ['x2']);
  });

  it('accepts a duplicate within 5 minutes with the original MessageId and does not enqueue it', async () => {
    const url = await fifoQueue('dedup.fifo');
    const original = await send(url, 'first', 'g', 'order-1');
    const duplicate = await send(url, 'second body', 'g', 'order-1');
    assert.equal(duplicate.MessageId, original.MessageId);
    assert.equal(duplicate.SequenceNumber, original.SequenceNumber);
    const received = await receive(url);
    assert.deepEqual(bodies(received), ['first']);
    await remove(url, received);
    assert.equal((await send(url, 'after delete', 'g', 'order-1')).MessageId, original.MessageId, 'remembered after the delete too');

    now += 5 * 60_000;
    const later = await send(url, 'third', 'g', 'order-1');
    assert.notEqual(later.MessageId, original.MessageId, 'a new message once the window has passed');
    assert.deepEqual(bodies(await receive(url)), ['third']);
  });

  it('deduplicates by the body with ContentBasedDeduplication', async () => {
    const url = await fifoQueue('content.fifo', { ContentBasedDeduplication: 'true' });
    const one = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
    const two = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
    const other = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'different', MessageGroupId: 'g' }));
    const explicit = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g', MessageDeduplicationId: 'own' }));
    assert.equal(two.MessageId, one.MessageId);
    assert.notEqual(other.MessageId, one.MessageId);
    assert.notEqual(explicit.MessageId, one.MessageId, 'an explicit id overrides the body hash');
    const received = await receive(url);
    assert.deepEqual(bodies(received), ['same', 'different', 'same']);
    assert.match(received[0]!.Attributes!.MessageDeduplicationId!, /^[0-9a-f]{64}$/);
  });

  it('refuses a message without MessageGroupId or a deduplication id, and with its own DelaySeconds', async () => {
    const url = await fifoQueue('strict.fifo');
    await rejectsWith(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })), 'MissingParameter');
    await rejectsWith(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' })), 'InvalidParameterValue');
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 })),
      'InvalidParameterValue',
    );
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok', MessageBody: 'fine', MessageGroupId: 'g', MessageDeduplicationId: 'd1' },
          { Id: 'nogroup', MessageBody: 'x', MessageDeduplicationId: 'd2' },
          { Id: 'again', MessageBody: 'fine again', MessageGroupId: 'g', MessageDeduplicationId: 'd1' },
        ],
      }),
    );
    assert.deepEqual(batch.Failed?.map((f) => [f.Id, f.Code]), [['nogroup', 'MissingParameter']]);
    const [ok, again] = batch.Successful!;
    assert.equal(again!.MessageId, ok!.MessageId, 'a duplicate inside one batch');
    assert.ok(ok!.SequenceNumber);

    const standard = (await sqs.send(new CreateQueueCommand({ QueueName: 'standard' }))).QueueUrl!;
    await rejectsWith(
      sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'x', MessageDeduplicationId: 'd' })),
      'InvalidParameterValue',
    );
  });

  it('dead-letters to a FIFO queue only, and the group moves on after its message left', async () => {
    const dlq = await fifoQueue('dead.fifo');
    const standardDlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'dead-standard' }))).QueueUrl!;
    const arn = async (url: string): Promise<string> =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await rejectsWith(
      fifoQueue('mixed.fifo', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arn(standardDlq), maxReceiveCount: 1 }) }),
      'InvalidAttributeValue',
    );
    const url = await fifoQueue('source.fifo', {
      VisibilityTimeout: '10',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arn(dlq), maxReceiveCount: 1 }),
    });
    await send(url, 'poison', 'g');
    await send(url, 'next', 'g');
    assert.deepEqual(bodies(await receive(url, 1)), ['poison']);
    now += 10_000;
    assert.deepEqual(bodies(await receive(url, 1)), ['next']);
    const dead = await receive(dlq);
    assert.deepEqual(bodies(dead), ['poison']);
    assert.equal(dead[0]!.Attributes?.MessageGroupId, 'g');
  });
});
