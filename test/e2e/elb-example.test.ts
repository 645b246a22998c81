// The ELB story on `laambda server`: examples/elb-logs-processor deployed as it is, a log file
// put into its bucket with @aws-sdk/client-s3, and every line arriving as JSON at a logstash-like
// listener — a ten-line file as surely as a big one (the story's bug lost small files).
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { elbLines } from '../../bench/elb/generator.ts';
import { type JsonLinesReceiver, startReceiver } from '../../bench/elb/receiver.ts';
import { copyApp, REPO_ROOT, ServerHarness } from '../support/server.ts';

describe('examples/elb-logs-processor on laambda server', () => {
  let harness: ServerHarness;
  let receiver: JsonLinesReceiver;
  let s3: S3Client;

  before(async () => {
    receiver = await startReceiver();
    harness = await ServerHarness.start();
    assert.equal((await harness.api('POST', '/apps', { name: 'elb' })).status, 201);
    const config = { LOGSTASH_HOST: '127.0.0.1', LOGSTASH_PORT: String(receiver.port), LOGSTASH_POOL: '2' };
    assert.equal((await harness.api('PATCH', '/apps/elb/config', config)).status, 200);
    const key = (await harness.api('POST', '/apps/elb/keys')).body;
    s3 = new S3Client({
      endpoint: key.endpointUrl,
      region: key.region,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      forcePathStyle: true,
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'elb-logs' }));
    await harness.deployOk('elb', copyApp(`${REPO_ROOT}/examples/elb-logs-processor`));
  });
  after(async () => {
    s3?.destroy();
    await harness?.dispose();
    await receiver?.close();
  });

  it('sends every line of a ten-line log file put under elb/', async () => {
    receiver.reset();
    const lines = [...elbLines(10, 7)];
    await s3.send(new PutObjectCommand({ Bucket: 'elb-logs', Key: 'elb/2026/11/22/small.log', Body: `${lines.join('\n')}\n` }));
    const counts = await receiver.waitFor(10, 15_000);
    assert.equal(counts.bad, 0);
    assert.equal(counts.lines, 10);
  });

  it('sends a gzipped file whose key has a space over at most LOGSTASH_POOL connections', async () => {
    receiver.reset();
    const body = gzipSync(`${[...elbLines(3000, 11)].join('\n')}\n`);
    await s3.send(new PutObjectCommand({ Bucket: 'elb-logs', Key: 'elb/2026/11/22/big file.log.gz', Body: body }));
    const counts = await receiver.waitFor(3000, 15_000);
    assert.equal(counts.bad, 0);
    assert.equal(counts.lines, 3000);
    assert.ok(counts.connections >= 1 && counts.connections <= 2, `${counts.connections} connections for LOGSTASH_POOL=2`);
  });
});
