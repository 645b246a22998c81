import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatEventSource, parseEventSource, sourceIdentity } from './sources.ts';

describe('event sources on the command line', () => {
  it('reads each kind the way laambda.json declares it, defaults included', () => {
    assert.deepEqual(parseEventSource('queue:orders?batch=5&partial=true'), {
      kind: 'queue', queue: 'orders', batchSize: 5, maximumBatchingWindowSeconds: 0, reportBatchItemFailures: true, enabled: true,
    });
    assert.deepEqual(parseEventSource('bucket:uploads?events=created,delete&prefix=logs/'), {
      kind: 'bucket', bucket: 'uploads', events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'], prefix: 'logs/',
    });
    assert.deepEqual(parseEventSource('schedule:cron(0 12 * * ? *)?enabled=false'), { kind: 'schedule', expression: 'cron(0 12 * * ? *)', enabled: false });
    assert.deepEqual(parseEventSource('http:GET:/users/{id}'), { kind: 'http', route: 'GET /users/{id}', payloadVersion: '2.0' });
  });

  it('prints the canonical form back, leaving defaults out', () => {
    for (const text of ['queue:orders', 'queue:jobs?batch=100&window=5&enabled=false', 'bucket:uploads?prefix=logs/', 'bucket:bk1?events=created,removed&suffix=.gz', 'schedule:rate(5 minutes)', 'http:GET:/users/{id}', 'http:$default?payload=1.0']) {
      assert.equal(formatEventSource(parseEventSource(text)), text);
    }
  });

  it('says what is wrong and how a source is written', () => {
    assert.throws(() => parseEventSource('queue:orders?batch=0'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_EVENT_SOURCE_INVALID');
      assert.match(error.message, /batchSize must be a whole number from 1 to 10000/);
      assert.match(error.message, /queue:orders\?batch=10/);
      return true;
    });
    assert.throws(() => parseEventSource('queue:orders?size=3'), /unknown option "size" \(options: batch, window/);
    assert.throws(() => parseEventSource('topic:x'), /"topic" is not a kind of source/);
    assert.throws(() => parseEventSource('schedule:rate(5 minute)'), /rate\(5 minutes\)/);
    assert.throws(() => parseEventSource('queue:orders?batch=20'), /maximumBatchingWindow must be at least 1/);
  });

  it('treats sources with the same queue, bucket filters, schedule or route as one', () => {
    assert.equal(sourceIdentity(parseEventSource('queue:orders?batch=3')), sourceIdentity(parseEventSource('queue:orders')));
    assert.notEqual(sourceIdentity(parseEventSource('bucket:bk1?prefix=a/')), sourceIdentity(parseEventSource('bucket:bk1?prefix=b/')));
  });
});
