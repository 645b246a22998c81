// The SQS endpoint end to end: @aws-sdk/client-sqs signs with SigV4 and speaks the JSON protocol
// to a real node:http server running createSqsHandler over a real SQLite data dir.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
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
let shopId = '';
const KEYS: Record<string, AwsKeyCredential> = {};

function client(accessKeyId: string, secretAccessKey = KEYS[accessKeyId]?.secretAccessKey ?? 'nope'): SQSClient {
  return new SQSClient({ endpoint: server.endpoint, region: REGION, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}

let shop: SQSClient;
let blog: SQSClient;

async function queue(name: string, attributes?: Record<string, string>): Promise<string> {
  const out = await shop.send(new CreateQueueCommand({ QueueName: name, ...(attributes ? { Attributes: attributes } : {}) }));
  return out.QueueUrl!;
}

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'laambda-sqs-'));
  storage = await createSqliteStorage({ dataDir });
  shopId = (await storage.apps.create({ name: 'shop', domain: null })).id;
  const blogId = (await storage.apps.create({ name: 'blog', domain: null })).id;
  KEYS.AKIDSHOP = { secretAccessKey: 'shop-secret/+x', appId: shopId };
  KEYS.AKIDBLOG = { secretAccessKey: 'blog-secret', appId: blogId };
  service = createQueueService({ store: storage.queues, region: REGION, accountId: ACCOUNT });
  server = await startSqsServer(service, KEYS);
  shop = client('AKIDSHOP');
  blog = client('AKIDBLOG');
});

after(async () => {
  shop?.destroy();
  blog?.destroy();
  service?.close();
  await server?.close();
  await storage?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('queues', () => {
  it('creates, finds, lists, describes, changes and deletes queues', async () => {
    const url = await queue('orders', { VisibilityTimeout: '45' });
    assert.equal(url, `${server.endpoint}/${ACCOUNT}/orders`);
    assert.equal(await queue('orders', { VisibilityTimeout: '45' }), url, 'same attributes: idempotent');
    await rejectsWith(queue('orders', { VisibilityTimeout: '46' }), 'QueueNameExists');
    assert.equal((await shop.send(new GetQueueUrlCommand({ QueueName: 'orders' }))).QueueUrl, url);
    await queue('orders-eu');
    await queue('invoices');

    const listed = await shop.send(new ListQueuesCommand({ QueueNamePrefix: 'orders' }));
    assert.deepEqual(listed.QueueUrls, [url, `${server.endpoint}/${ACCOUNT}/orders-eu`]);
    const page = await shop.send(new ListQueuesCommand({ MaxResults: 1 }));
    assert.equal(page.QueueUrls?.length, 1);
    const rest = await shop.send(new ListQueuesCommand({ MaxResults: 10, NextToken: page.NextToken! }));
    assert.ok(!rest.QueueUrls?.includes(page.QueueUrls![0]!));

    const { Attributes } = await shop.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    assert.equal(Attributes?.VisibilityTimeout, '45');
    assert.equal(Attributes?.MessageRetentionPeriod, '345600');
    assert.equal(Attributes?.MaximumMessageSize, '1048576');
    assert.equal(Attributes?.QueueArn, `arn:aws:sqs:${REGION}:${ACCOUNT}:orders`);
    assert.equal(Attributes?.ApproximateNumberOfMessages, '0');
    assert.match(Attributes?.CreatedTimestamp ?? '', /^\d{10}$/);

    await shop.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DelaySeconds: '3', ReceiveMessageWaitTimeSeconds: '2' } }));
    const after = await shop.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['DelaySeconds', 'VisibilityTimeout'] }));
    assert.deepEqual(after.Attributes, { DelaySeconds: '3', VisibilityTimeout: '45' });
    await rejectsWith(shop.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '50000' } })), 'InvalidAttributeValue');
    await rejectsWith(shop.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Colour: 'blue' } as Record<string, string> })), 'InvalidAttributeName');
    await rejectsWith(shop.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Colour' as 'All'] })), 'InvalidAttributeName');

    await shop.send(new DeleteQueueCommand({ QueueUrl: url }));
    await rejectsWith(shop.send(new GetQueueUrlCommand({ QueueName: 'orders' })), 'QueueDoesNotExist');
    await rejectsWith(shop.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), 'QueueDoesNotExist');
  });

  it('refuses bad names, a FIFO name and FifoQueue apart, and a dead-letter target that does not exist', async () => {
    await rejectsWith(queue('bad name!'), 'InvalidParameterValue');
    await rejectsWith(queue('jobs.fifo'), 'InvalidParameterValue');
    await rejectsWith(queue('jobs', { FifoQueue: 'true' }), 'InvalidParameterValue');
    await rejectsWith(queue('jobs', { ContentBasedDeduplication: 'true' }), 'InvalidAttributeName');
    const policy = JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:missing-dlq`, maxReceiveCount: 3 });
    await rejectsWith(queue('with-dlq', { RedrivePolicy: policy }), 'InvalidAttributeValue');
  });
});

describe('messages', () => {
  it('sends and receives with message attributes whose MD5s are what SQS computes', async () => {
    const url = await queue('attrs');
    const sent = await shop.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'héllo ✓',
        MessageAttributes: {
          timestamp: { DataType: 'Number', StringValue: '1493147359900' },
          kind: { DataType: 'String', StringValue: 'order' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
        },
      }),
    );
    // The SDK already checked MD5OfMessageBody (it throws on a mismatch).
    assert.match(sent.MessageId!, /^[0-9a-f-]{36}$/);
    assert.match(sent.MD5OfMessageAttributes!, /^[0-9a-f]{32}$/);

    const one = await shop.send(new SendMessageCommand({ QueueUrl: await queue('attrs-one'), MessageBody: 'x', MessageAttributes: { timestamp: { DataType: 'Number', StringValue: '1493147359900' } } }));
    // The digest moto's and LocalStack's suites pin as what AWS answers for this attribute.
    assert.equal(one.MD5OfMessageAttributes, '235c5c510d26fb653d073faed50ae77c');

    const received = await shop.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    const [message] = received.Messages!;
    assert.equal(message!.Body, 'héllo ✓');
    assert.equal(message!.MessageId, sent.MessageId);
    assert.equal(message!.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    assert.deepEqual(Buffer.from(message!.MessageAttributes!.blob!.BinaryValue!), Buffer.from([0, 1, 2, 255]));
    assert.equal(message!.MessageAttributes!.kind!.StringValue, 'order');
    assert.equal(message!.Attributes!.ApproximateReceiveCount, '1');
    assert.equal(message!.Attributes!.SenderId, 'AKIDSHOP');
    assert.match(message!.Attributes!.SentTimestamp!, /^\d{13}$/);
    await shop.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message!.ReceiptHandle! }));
  });

  it('returns only the message attributes asked for, by name or prefix', async () => {
    const url = await queue('select');
    await shop.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'b',
        MessageAttributes: {
          'order.id': { DataType: 'String', StringValue: '7' },
          'order.total': { DataType: 'Number', StringValue: '9.5' },
          other: { DataType: 'String', StringValue: 'o' },
        },
      }),
    );
    const { Messages } = await shop.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['order.*'], AttributeNames: ['SentTimestamp' as 'All'] }));
    assert.deepEqual(Object.keys(Messages![0]!.MessageAttributes!).sort(), ['order.id', 'order.total']);
    assert.deepEqual(Object.keys(Messages![0]!.Attributes!), ['SentTimestamp']);
  });

  it('sends, receives and deletes in batches of ten, refusing only the bad entries', async () => {
    const url = await queue('batch');
    const out = await shop.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          ...Array.from({ length: 9 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })),
          { Id: 'bad', MessageBody: 'nul \u0000 inside' },
        ],
      }),
    );
    assert.equal(out.Successful?.length, 9);
    assert.deepEqual(out.Failed?.map((f) => [f.Id, f.Code, f.SenderFault]), [['bad', 'InvalidMessageContents', true]]);

    const { Messages } = await shop.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.equal(Messages?.length, 9);
    const deleted = await shop.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [...Messages!.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })), { Id: 'junk', ReceiptHandle: 'not-a-handle' }],
      }),
    );
    assert.equal(deleted.Successful?.length, 9);
    assert.deepEqual(deleted.Failed?.map((f) => [f.Id, f.Code]), [['junk', 'ReceiptHandleIsInvalid']]);
    const attrs = await shop.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    assert.deepEqual(attrs.Attributes, { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('names batch and parameter errors as SQS does', async () => {
    const url = await queue('errors');
    await rejectsWith(shop.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })), 'EmptyBatchRequest');
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' }));
    await rejectsWith(shop.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: eleven })), 'TooManyEntriesInBatchRequest');
    await rejectsWith(
      shop.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }] })),
      'BatchEntryIdsNotDistinct',
    );
    await rejectsWith(shop.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'no spaces', MessageBody: 'x' }] })), 'InvalidBatchEntryId');
    const big = 'x'.repeat(600_000);
    await rejectsWith(
      shop.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: big }, { Id: 'b', MessageBody: big }] })),
      'BatchRequestTooLong',
    );
    await rejectsWith(shop.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bell \u0007' })), 'InvalidMessageContents');
    await rejectsWith(shop.send(new SendMessageCommand({ QueueUrl: url, MessageBody: undefined as unknown as string })), 'MissingParameter');
    await rejectsWith(shop.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })), 'InvalidParameterValue');
    await rejectsWith(shop.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })), 'ReceiptHandleIsInvalid');

    await shop.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const { Messages } = await shop.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));
    await rejectsWith(
      shop.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: Messages![0]!.ReceiptHandle!, VisibilityTimeout: 10 })),
      'MessageNotInflight',
    );
  });

  it('hides a received message for the visibility timeout, then delivers it again with a new handle', async () => {
    const url = await queue('visibility');
    await shop.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
    const first = (await shop.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1, AttributeNames: ['All'] }))).Messages![0]!;
    assert.equal((await shop.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.length ?? 0, 0, 'hidden while in flight');
    const started = Date.now();
    const second = (await shop.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10, AttributeNames: ['All'] }))).Messages![0]!;
    assert.ok(Date.now() - started >= 500, 'came back only when the timeout ran out');
    assert.equal(second.MessageId, first.MessageId);
    assert.equal(second.Attributes!.ApproximateReceiveCount, '2');
    assert.equal(second.Attributes!.ApproximateFirstReceiveTimestamp, first.Attributes!.ApproximateFirstReceiveTimestamp);
    assert.notEqual(second.ReceiptHandle, first.ReceiptHandle);

    // The first handle is stale: deleting with it succeeds but leaves the message.
    await shop.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.ReceiptHandle! }));
    await shop.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: [{ Id: 'v', ReceiptHandle: second.ReceiptHandle!, VisibilityTimeout: 0 }] }));
    const third = (await shop.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages![0]!;
    assert.equal(third.MessageId, first.MessageId, 'visibility set to 0 makes it receivable at once');
    await shop.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: third.ReceiptHandle! }));
    assert.equal((await shop.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }))).Messages?.length ?? 0, 0);
  });

  it('answers a long poll as soon as a message is sent', async () => {
    const url = await queue('long-poll');
    const started = Date.now();
    const pending = shop.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    await shop.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
    const { Messages } = await pending;
    assert.equal(Messages?.[0]?.Body, 'wake up');
    assert.ok(Date.now() - started < 10_000);
  });

  it('holds a delayed message back for DelaySeconds', async () => {
    const url = await queue('delayed');
    const started = Date.now();
    await shop.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    assert.equal((await shop.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.length ?? 0, 0);
    const delayed = await shop.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    assert.equal(delayed.Attributes?.ApproximateNumberOfMessagesDelayed, '1');
    const { Messages } = await shop.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
    assert.equal(Messages?.[0]?.Body, 'later');
    assert.ok(Date.now() - started >= 900, `arrived after ${Date.now() - started} ms`);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives, and redrives it back', async () => {
    const dlqUrl = await queue('work-dlq');
    const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:work-dlq`;
    const url = await queue('work', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 2 }) });
    await shop.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
    for (let i = 1; i <= 2; i += 1) {
      const { Messages } = await shop.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0, AttributeNames: ['All'] }));
      assert.equal(Messages?.[0]?.Attributes?.ApproximateReceiveCount, String(i));
    }
    assert.equal((await shop.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.length ?? 0, 0, 'third receive dead-letters');
    const dead = await shop.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, VisibilityTimeout: 0 }));
    assert.equal(dead.Messages?.[0]?.Body, 'poison');
    const sources = await shop.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }));
    assert.deepEqual(sources.queueUrls, [url]);

    assert.deepEqual(await service.redrive(shopId, 'work-dlq'), { moved: 1 });
    const back = await shop.send(new ReceiveMessageCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    assert.equal(back.Messages?.[0]?.Body, 'poison');
    assert.equal(back.Messages?.[0]?.Attributes?.ApproximateReceiveCount, '1');
  });

  it('purges a queue', async () => {
    const url = await queue('purge-me');
    await shop.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [1, 2, 3].map((i) => ({ Id: `p${i}`, MessageBody: 'x' })) }));
    await shop.send(new PurgeQueueCommand({ QueueUrl: url }));
    const attrs = await shop.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    assert.equal(attrs.Attributes?.ApproximateNumberOfMessages, '0');
    const stats = await service.stats(shopId, 'purge-me');
    assert.equal(stats.visible + stats.inFlight + stats.delayed, 0);
  });

  it('moves 2,000 messages through send batch → receive → delete batch', async (t) => {
    const url = await queue('throughput');
    const total = 2000;
    const started = performance.now();
    for (let sent = 0; sent < total; sent += 10) {
      await shop.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `t${i}`, MessageBody: `m${sent + i}` })) }));
    }
    let done = 0;
    while (done < total) {
      const { Messages = [] } = await shop.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      assert.ok(Messages.length > 0);
      await shop.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
      done += Messages.length;
    }
    t.diagnostic(`${Math.round((total / (performance.now() - started)) * 1000)} messages/s (one client, sequential)`);
    assert.equal(done, total);
  });
});

describe('authentication and apps', () => {
  it('refuses a wrong secret and an unknown key', async () => {
    const wrong = client('AKIDSHOP', 'not-the-secret');
    const unknown = client('AKIDNOBODY', 'whatever');
    try {
      await rejectsWith(wrong.send(new ListQueuesCommand({})), 'SignatureDoesNotMatch');
      await rejectsWith(unknown.send(new ListQueuesCommand({})), 'InvalidClientTokenId');
    } finally {
      wrong.destroy();
      unknown.destroy();
    }
  });

  it("keeps one app's queues invisible to another", async () => {
    const url = await queue('private');
    await rejectsWith(blog.send(new GetQueueUrlCommand({ QueueName: 'private' })), 'QueueDoesNotExist');
    await rejectsWith(blog.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'intrusion' })), 'QueueDoesNotExist');
    await rejectsWith(blog.send(new ReceiveMessageCommand({ QueueUrl: url })), 'QueueDoesNotExist');
    const own = (await blog.send(new CreateQueueCommand({ QueueName: 'private' }))).QueueUrl!;
    await blog.send(new SendMessageCommand({ QueueUrl: own, MessageBody: 'blog only' }));
    const listed = await blog.send(new ListQueuesCommand({}));
    assert.deepEqual(listed.QueueUrls, [own]);
    assert.equal((await shop.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages?.length ?? 0, 0, "shop's queue untouched");
  });
});
