// `laambda dev` runs the same event sources as the server, locally: an SDK talking to dev's AWS
// endpoint (with any credentials, as with every local emulator) feeds queue, bucket and async
// sources, and the queues and objects live on under the app's .laambda/ across restarts.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DevHarness, type DevHandle } from '../support/dev.ts';

const files = (ledgerUrl: string) => ({
  Procfile: 'work: index.work\nupload: index.upload\nlater: index.later\n',
  'laambda.json': JSON.stringify({
    functions: {
      work: { events: [{ queue: 'jobs' }], environment: { LEDGER_URL: ledgerUrl } },
      upload: { events: [{ bucket: 'media', prefix: 'in/' }], environment: { LEDGER_URL: ledgerUrl } },
      later: { events: [], async: { onSuccess: 'queue:done' }, environment: { LEDGER_URL: ledgerUrl } },
    },
  }),
  'index.mjs': `
const record = (entry) => fetch(process.env.LEDGER_URL, { method: 'POST', body: JSON.stringify(entry) });
export const work = async (event) => { for (const r of event.Records) await record({ fn: 'work', body: r.body }); };
export const upload = async (event) => { for (const r of event.Records) await record({ fn: 'upload', key: r.s3.object.key, event: r.eventName }); };
export const later = async (event) => { await record({ fn: 'later', id: event.id }); return { handled: event.id }; };
`,
});

describe('event sources in laambda dev', () => {
  const harness = new DevHarness();
  const ledger: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let server: http.Server;
  let dev: DevHandle;
  let dir: string;

  const entry = (predicate: (e: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const check = () => {
        const found = ledger.find(predicate);
        if (found !== undefined) resolve(found);
        else waiters.push(check);
      };
      check();
    });

  const clientsOf = (url: string) => {
    // Any credentials: dev serves one app and checks no signature.
    const config = { endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
    return { sqs: new SQSClient(config), s3: new S3Client({ ...config, forcePathStyle: true }), lambda: new LambdaClient(config) };
  };

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        ledger.push(JSON.parse(body));
        res.end();
        for (const wake of waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = await harness.app(files(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    dev = await harness.start(dir);
  });

  after(async () => {
    await harness.cleanup();
    server.close();
  });

  it('runs a queue source from messages sent with the SDK', async () => {
    const { sqs } = clientsOf(dev.server.awsUrl);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'jobs' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'job-1' }));
    assert.deepEqual(await entry((e) => e.fn === 'work'), { fn: 'work', body: 'job-1' });
    sqs.destroy();
  });

  it('runs a bucket source on upload, with the bucket the app declares already there', async () => {
    const { s3 } = clientsOf(dev.server.awsUrl);
    await s3.send(new PutObjectCommand({ Bucket: 'media', Key: 'in/cat 1.png', Body: 'meow' }));
    assert.deepEqual(await entry((e) => e.fn === 'upload'), { fn: 'upload', key: 'in/cat+1.png', event: 'ObjectCreated:Put' });
    s3.destroy();
  });

  it('runs Event invocations and sends the result to the OnSuccess queue', async () => {
    const { lambda, sqs } = clientsOf(dev.server.awsUrl);
    // The release made the destination queue; creating it again is a no-op that returns its URL.
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'done' }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'later', InvocationType: 'Event', Payload: Buffer.from('{"id":"e-1"}') }));
    assert.equal(out.StatusCode, 202);
    assert.deepEqual(await entry((e) => e.fn === 'later'), { fn: 'later', id: 'e-1' });
    let body: string | undefined;
    while (body === undefined) body = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }))).Messages?.[0]?.Body;
    const record = JSON.parse(body);
    assert.equal(record.requestContext.condition, 'Success');
    assert.deepEqual(record.responsePayload, { handled: 'e-1' });
    lambda.destroy();
    sqs.destroy();
  });

  it('keeps queues and their messages in .laambda/ across a restart', async () => {
    const first = clientsOf(dev.server.awsUrl);
    const { QueueUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: 'parked' }));
    await first.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'still here' }));
    first.sqs.destroy();
    assert.ok(existsSync(path.join(dir, '.laambda', 'laambda.db')));
    await dev.server.close();
    dev = await harness.start(dir);
    const second = clientsOf(dev.server.awsUrl);
    const { QueueUrl: again } = await second.sqs.send(new CreateQueueCommand({ QueueName: 'parked' }));
    const received = await second.sqs.send(new ReceiveMessageCommand({ QueueUrl: again, WaitTimeSeconds: 1 }));
    assert.deepEqual(received.Messages?.map((m) => m.Body), ['still here']);
    second.sqs.destroy();
  });
});
