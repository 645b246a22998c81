// Event sources on `laambda server`, end to end with the real SDKs: an app declares a bucket, a
// queue, a schedule and async destinations in laambda.json; unmodified @aws-sdk (Node) and boto3
// (Python) code inside its functions reaches the platform's S3 and SQS through the environment
// alone; another app's key sees none of it; event-sources:* changes are releases.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { REPO_ROOT, ServerHarness } from '../support/server.ts';

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
  endpointUrl: string;
  region: string;
}

const clients = (key: Key) => {
  const config = { endpoint: key.endpointUrl, region: key.region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: 1 };
  return { s3: new S3Client({ ...config, forcePathStyle: true }), sqs: new SQSClient(config), lambda: new LambdaClient(config) };
};

describe('event sources on laambda server', () => {
  let harness: ServerHarness;
  let shop: ReturnType<typeof clients>;
  let other: ReturnType<typeof clients>;
  let resultsUrl: string;
  let failuresUrl: string;
  const stash: Array<Record<string, unknown>> = [];

  /** Long-polls the results queue (where the functions report) until `count` reports of `kind` came. */
  async function reports(kind: string, count: number): Promise<Array<Record<string, unknown>>> {
    const found: Array<Record<string, unknown>> = [];
    const take = () => {
      for (let i = 0; i < stash.length && found.length < count; ) {
        if (stash[i]?.kind === kind) found.push(...stash.splice(i, 1));
        else i += 1;
      }
    };
    take();
    while (found.length < count) {
      const out = await shop.sqs.send(new ReceiveMessageCommand({ QueueUrl: resultsUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }));
      const messages = out.Messages ?? [];
      if (messages.length === 0) continue;
      await shop.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: resultsUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }));
      stash.push(...messages.map((m) => JSON.parse(m.Body ?? '{}') as Record<string, unknown>));
      take();
    }
    return found;
  }

  before(async () => {
    harness = await ServerHarness.start({ asyncRetryDelayMs: () => 100 });
    for (const name of ['shop', 'other']) assert.equal((await harness.api('POST', '/apps', { name })).status, 201);
    await harness.deployOk('shop', path.join(REPO_ROOT, 'test/fixtures/events-app'));
    shop = clients((await harness.api('POST', '/apps/shop/keys')).body as Key);
    other = clients((await harness.api('POST', '/apps/other/keys')).body as Key);
    resultsUrl = (await shop.sqs.send(new CreateQueueCommand({ QueueName: 'results' }))).QueueUrl ?? '';
    failuresUrl = (await shop.sqs.send(new CreateQueueCommand({ QueueName: 'failures' }))).QueueUrl ?? '';
  });

  after(async () => {
    for (const set of [shop, other]) for (const client of Object.values(set ?? {})) client.destroy();
    await harness?.dispose();
  });

  it('creates the buckets and queues the release declares', async () => {
    await shop.s3.send(new HeadBucketCommand({ Bucket: 'uploads' }));
    for (const name of ['jobs', 'pyjobs']) assert.match((await shop.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '', new RegExp(`/${name}$`));
  });

  it('invokes the bucket source on upload with the S3 event, only under its prefix', async () => {
    await shop.s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'elsewhere/skip.txt', Body: 'not for the function' }));
    await shop.s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/photo 1.txt', Body: 'hello from s3' }));
    const [report] = await reports('upload', 1);
    assert.deepEqual(report, { kind: 'upload', eventName: 'ObjectCreated:Put', rawKey: 'in/photo+1.txt', key: 'in/photo 1.txt', size: 13, text: 'hello from s3' });
  });

  it('runs the queue source in batches and keeps only the reported failures', async () => {
    const { QueueUrl } = await shop.sqs.send(new GetQueueUrlCommand({ QueueName: 'jobs' }));
    const bodies = ['ok-1', 'ok-2', 'fail-3', 'ok-4', 'ok-5'];
    await shop.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })) }));
    const done = await reports('work', 4);
    assert.deepEqual(done.map((r) => r.body).sort(), ['ok-1', 'ok-2', 'ok-4', 'ok-5']);
    assert.ok(done.every((r) => r.queue === 'jobs'));
    // The failed message alone is left, hidden until its visibility timeout ends. The function
    // reports before it returns and the batch is settled after, so watch the queue settle.
    const counts = async () =>
      (await shop.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] })))
        .Attributes;
    const deadline = Date.now() + 10_000;
    let settled = await counts();
    while (settled?.ApproximateNumberOfMessagesNotVisible !== '1' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      settled = await counts();
    }
    assert.deepEqual(settled, { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
  });

  it('runs unmodified boto3 code in a Python function', async () => {
    const { QueueUrl } = await shop.sqs.send(new GetQueueUrlCommand({ QueueName: 'pyjobs' }));
    await shop.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'from python' }));
    assert.deepEqual(await reports('py', 1), [{ kind: 'py', body: 'from python' }]);
  });

  it('retries an async invocation, then sends the record to its OnFailure queue', async () => {
    const out = await shop.lambda.send(new InvokeCommand({ FunctionName: 'shop-flaky', InvocationType: 'Event', Payload: Buffer.from('{"id":"order-9"}') }));
    assert.equal(out.StatusCode, 202);
    assert.equal((await reports('attempt', 2)).length, 2);
    let record: Record<string, any> | undefined;
    while (record === undefined) {
      const received = await shop.sqs.send(new ReceiveMessageCommand({ QueueUrl: failuresUrl, WaitTimeSeconds: 20 }));
      const body = received.Messages?.[0]?.Body;
      if (body !== undefined) record = JSON.parse(body);
    }
    assert.equal(record.requestContext.condition, 'RetriesExhausted');
    assert.equal(record.requestContext.approximateInvokeCount, 2);
    assert.deepEqual(record.requestPayload, { id: 'order-9' });
    assert.equal(record.responseContext.functionError, 'Unhandled');
    assert.equal(record.responsePayload.errorMessage, 'flaky failed for order-9');
  });

  it('lists schedules with their next fire time', async () => {
    const reply = await harness.api('GET', '/apps/shop/schedules');
    assert.equal(reply.status, 200);
    const [tick] = reply.body;
    assert.equal(tick.function, 'tick');
    assert.equal(tick.expression, 'rate(1 hour)');
    const next = Date.parse(tick.nextFireAt);
    assert.ok(next > Date.now() && next <= Date.now() + 3_600_000, `next fire ${tick.nextFireAt} within the hour`);
  });

  it("never shows one app's buckets and queues to another app's key", async () => {
    await assert.rejects(other.s3.send(new HeadBucketCommand({ Bucket: 'uploads' })), { name: 'NotFound' });
    assert.deepEqual((await other.s3.send(new ListBucketsCommand({}))).Buckets ?? [], []);
    await assert.rejects(other.sqs.send(new GetQueueUrlCommand({ QueueName: 'results' })), { name: 'QueueDoesNotExist' });
    await assert.rejects(other.sqs.send(new SendMessageCommand({ QueueUrl: resultsUrl, MessageBody: 'intruder' })), { name: 'QueueDoesNotExist' });
  });

  it('creates a FIFO queue a source declares, and delivers each group in order', async () => {
    const added = await harness.api('POST', '/apps/shop/functions/work/event-sources', { source: 'queue:orders.fifo' });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const { QueueUrl } = await shop.sqs.send(new GetQueueUrlCommand({ QueueName: 'orders.fifo' }));
    await shop.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ['a-1', 'b-1', 'a-2', 'b-2', 'a-3'].map((body, i) => ({ Id: String(i), MessageBody: body, MessageGroupId: body[0], MessageDeduplicationId: body })),
      }),
    );
    const done = (await reports('work', 5)).filter((r) => r.queue === 'orders.fifo').map((r) => String(r.body));
    assert.deepEqual(done.filter((b) => b.startsWith('a')), ['a-1', 'a-2', 'a-3']);
    assert.deepEqual(done.filter((b) => b.startsWith('b')), ['b-1', 'b-2']);
    await harness.api('POST', '/apps/shop/functions/work/event-sources/remove', { source: 'queue:orders.fifo' });
  });

  it("removes a destroyed app's object data, and keeps what other apps still use", async () => {
    assert.equal((await harness.api('POST', '/apps', { name: 'temp' })).status, 201);
    const temp = clients((await harness.api('POST', '/apps/temp/keys')).body as Key);
    const only = `only in temp ${Date.now()}`;
    const shared = 'hello from s3';
    await temp.s3.send(new CreateBucketCommand({ Bucket: 'scratch' }));
    await temp.s3.send(new PutObjectCommand({ Bucket: 'scratch', Key: 'a', Body: only }));
    await temp.s3.send(new PutObjectCommand({ Bucket: 'scratch', Key: 'b', Body: shared }));
    const blobOf = (text: string) => {
      const digest = createHash('sha256').update(text).digest('hex');
      return path.join(harness.dataDir, 'objects', 'sha256', digest.slice(0, 2), digest);
    };
    assert.ok(existsSync(blobOf(only)) && existsSync(blobOf(shared)));
    for (const client of Object.values(temp)) client.destroy();
    assert.equal((await harness.api('DELETE', '/apps/temp?confirm=temp')).status, 204);
    assert.ok(!existsSync(blobOf(only)), 'the destroyed app\'s object data is gone');
    assert.ok(existsSync(blobOf(shared)), "shop's in/photo 1.txt still has the same bytes");
  });

  it('adds and removes sources as releases', async () => {
    const added = await harness.api('POST', '/apps/shop/functions/work/event-sources', { source: 'queue:extra?batch=2' });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal(added.body.release.kind, 'sources');
    assert.deepEqual(
      added.body.sources.map((s: { source: string }) => s.source),
      ['queue:jobs?batch=5&window=1&partial=true', 'queue:extra?batch=2'],
    );
    const { QueueUrl } = await shop.sqs.send(new GetQueueUrlCommand({ QueueName: 'extra' }));
    await shop.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'via a new source' }));
    assert.deepEqual(await reports('work', 1), [{ kind: 'work', body: 'via a new source', queue: 'extra' }]);

    const listed = await harness.api('GET', '/apps/shop/event-sources?function=work');
    assert.deepEqual(
      listed.body.map((s: { source: string; origin: string; status: string }) => [s.source, s.origin, s.status]),
      [
        ['queue:jobs?batch=5&window=1&partial=true', 'cli', 'polling'],
        ['queue:extra?batch=2', 'cli', 'polling'],
      ],
    );
    const removed = await harness.api('POST', '/apps/shop/functions/work/event-sources/remove', { source: 'queue:extra' });
    assert.equal(removed.status, 200);
    assert.deepEqual(removed.body.sources.map((s: { source: string }) => s.source), ['queue:jobs?batch=5&window=1&partial=true']);
    const missing = await harness.api('POST', '/apps/shop/functions/work/event-sources/remove', { source: 'queue:extra' });
    assert.equal(missing.body.code, 'ERR_EVENT_SOURCE_NOT_FOUND');
    const redeploy = await harness.deploy('shop', path.join(REPO_ROOT, 'test/fixtures/events-app'));
    assert.ok(
      redeploy.some((event) => event.type === 'log' && /work: its sources set with event-sources:\* replace the events in laambda.json/.test(event.message)),
      'a deploy says the CLI sources still win',
    );
    const reset = await harness.api('POST', '/apps/shop/functions/work/event-sources/reset');
    assert.deepEqual(
      reset.body.sources.map((s: { source: string; origin: string }) => [s.source, s.origin]),
      [['queue:jobs?batch=5&window=1&partial=true', 'laambda.json']],
    );
    const again = await harness.api('POST', '/apps/shop/functions/work/event-sources/reset');
    assert.equal(again.body.code, 'ERR_EVENT_SOURCE_NOT_FOUND');
    const bad = await harness.api('POST', '/apps/shop/functions/work/event-sources', { source: 'queue:extra?batch=0' });
    assert.equal(bad.body.code, 'ERR_EVENT_SOURCE_INVALID');
    await shop.sqs.send(new CreateQueueCommand({ QueueName: 'hasty', Attributes: { VisibilityTimeout: '1' } }));
    const hasty = await harness.api('POST', '/apps/shop/functions/work/event-sources', { source: 'queue:hasty' });
    assert.equal(hasty.body.code, 'ERR_EVENT_SOURCE_INVALID');
    assert.match(hasty.body.message, /Queue visibility timeout: 1 seconds is less than Function timeout: 3 seconds/);
  });
});
