import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLaambdaError } from '../../core/errors.ts';
import { EVENT_TYPE_NAMES, encodeS3EventKey, generateEvent, type SampleContext } from './index.ts';

const NOW = new Date('2024-03-12T19:03:58.390Z');
let counter = 0;
const ctx: SampleContext = {
  now: NOW,
  uuid: () => `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`,
  bytes: (n) => Buffer.alloc(n, 7),
};

/** The keys of an object, recursively (arrays by their first element): what "same shape" means here. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shape((value as Record<string, unknown>)[key])]));
  }
  return typeof value;
}

const keys = (value: unknown) => Object.keys(value as object).sort();
const get = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)[key], value);

// Trimmed from AWS's documented sample events (Lambda developer guide, S3, EventBridge, API Gateway and ELB guides).
const AWS = {
  s3Record: {
    eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: 'us-west-2', eventTime: '1970-01-01T00:00:00.000Z',
    eventName: 'ObjectCreated:Put', userIdentity: { principalId: 'AWS:AIDAINPONIXQXHT3IKHL2' },
    requestParameters: { sourceIPAddress: '205.255.255.255' },
    responseElements: { 'x-amz-request-id': 'D82B88E5F771F645', 'x-amz-id-2': 'vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=' },
    s3: {
      s3SchemaVersion: '1.0', configurationId: '828aa6fc-f7b5-4305-8584-487c791949c1',
      bucket: { name: 'DOC-EXAMPLE-BUCKET', ownerIdentity: { principalId: 'A3I5XTEXAMAI3E' }, arn: 'arn:aws:s3:::lambda-artifacts-deafc19498e3f2df' },
      object: { key: 'b21b84d653bb07b05b1e6b33684dc11b', size: 1305107, eTag: 'b21b84d653bb07b05b1e6b33684dc11b', sequencer: '0C0F6F405D6ED209E1' },
    },
  },
  sqsRecord: {
    messageId: '059f36b4-87a3-44ab-83d2-661975830a7d', receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...', body: 'Test message.',
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1545082649183', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '1545082649185' },
    messageAttributes: {}, md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3', eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue', awsRegion: 'us-east-2',
  },
  schedule: {
    version: '0', id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa', 'detail-type': 'Scheduled Event', source: 'aws.events',
    account: '123456789012', time: '2015-10-08T16:53:06Z', region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule'], detail: {},
  },
  kinesisRecord: {
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey: '1', sequenceNumber: '49590338271490256608559692538361571095921575989136588898', data: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==', approximateArrivalTimestamp: 1545084650.987 },
    eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898',
    eventName: 'aws:kinesis:record', invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role', awsRegion: 'us-east-2',
    eventSourceARN: 'arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream',
  },
  alb: {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-target-group/6d0ecf831eec9f09' } },
    httpMethod: 'GET', path: '/', queryStringParameters: {}, headers: {}, isBase64Encoded: false, body: 'request_body',
  },
  token: { type: 'TOKEN', authorizationToken: 'incoming-client-token', methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request' },
};

const SNS_KEYS = ['Message', 'MessageAttributes', 'MessageId', 'Signature', 'SignatureVersion', 'SigningCertUrl', 'Subject', 'Timestamp', 'TopicArn', 'Type', 'UnsubscribeUrl'];

describe('events:generate sample events', () => {
  it('builds an S3 put record shaped like the AWS sample, key URL-encoded', () => {
    const event = generateEvent('s3-put', { bucket: 'b', key: 'photos/Happy Face.jpg', size: '42' }, ctx);
    const record = get(event, 'Records', 0);
    assert.deepEqual(shape(record), shape(AWS.s3Record));
    assert.equal(get(record, 's3', 'object', 'key'), 'photos/Happy+Face.jpg');
    assert.equal(get(record, 's3', 'object', 'size'), 42);
    assert.equal(get(record, 's3', 'bucket', 'arn'), 'arn:aws:s3:::b');
    assert.equal(get(record, 'eventTime'), '2024-03-12T19:03:58.390Z');
  });

  it('builds an S3 delete record without size or eTag', () => {
    const object = get(generateEvent('s3-delete', { key: 'a.txt' }, ctx), 'Records', 0, 's3', 'object');
    assert.deepEqual(keys(object), ['key', 'sequencer']);
    assert.equal(get(generateEvent('s3-delete', {}, ctx), 'Records', 0, 'eventName'), 'ObjectRemoved:Delete');
  });

  it('encodes S3 event keys as S3 does: spaces as +, reserved characters percent-encoded', () => {
    assert.equal(encodeS3EventKey('red flower.jpg'), 'red+flower.jpg');
    assert.equal(encodeS3EventKey('a/b=c&d(1).txt'), 'a/b%3Dc%26d%281%29.txt');
  });

  it('builds --count SQS records with distinct ids and the MD5 of the body', () => {
    const event = generateEvent('sqs', { queue: 'jobs', body: 'Test message.', count: '3', region: 'eu-west-1' }, ctx);
    const records = get(event, 'Records') as unknown[];
    assert.equal(records.length, 3);
    assert.deepEqual(shape(records[0]), shape(AWS.sqsRecord));
    assert.equal(new Set(records.map((r) => get(r, 'messageId'))).size, 3);
    assert.equal(get(records[0], 'md5OfBody'), 'e4e68fb7bd0e697a0ae8f1bb342846b3');
    assert.equal(get(records[0], 'eventSourceARN'), 'arn:aws:sqs:eu-west-1:123456789012:jobs');
    assert.equal(get(records[0], 'attributes', 'SentTimestamp'), String(NOW.getTime()));
  });

  it('builds an SNS record with the documented fields', () => {
    const record = get(generateEvent('sns', { topic: 't', message: 'hi' }, ctx), 'Records', 0);
    assert.deepEqual(keys(record), ['EventSource', 'EventSubscriptionArn', 'EventVersion', 'Sns']);
    assert.deepEqual(keys(get(record, 'Sns')), SNS_KEYS);
    assert.equal(get(record, 'Sns', 'TopicArn'), 'arn:aws:sns:us-east-1:123456789012:t');
    assert.equal(get(record, 'Sns', 'Message'), 'hi');
  });

  it('builds a scheduled event with second-precision time', () => {
    const event = generateEvent('schedule', { rule: 'nightly' }, ctx);
    assert.deepEqual(shape(event), shape(AWS.schedule));
    assert.equal(get(event, 'time'), '2024-03-12T19:03:58Z');
    assert.deepEqual(get(event, 'resources'), ['arn:aws:events:us-east-1:123456789012:rule/nightly']);
  });

  it('builds DynamoDB records whose images follow the event name', () => {
    const images = (name: string) => keys(get(generateEvent('dynamodb', { eventName: name, table: 'T' }, ctx), 'Records', 0, 'dynamodb'));
    assert.ok(images('INSERT').includes('NewImage') && !images('INSERT').includes('OldImage'));
    assert.ok(images('MODIFY').includes('NewImage') && images('MODIFY').includes('OldImage'));
    assert.ok(!images('REMOVE').includes('NewImage') && images('REMOVE').includes('OldImage'));
    const record = get(generateEvent('dynamodb', { table: 'T' }, ctx), 'Records', 0);
    assert.deepEqual(keys(record), ['awsRegion', 'dynamodb', 'eventID', 'eventName', 'eventSource', 'eventSourceARN', 'eventVersion']);
    assert.match(String(get(record, 'eventSourceARN')), /^arn:aws:dynamodb:us-east-1:123456789012:table\/T\/stream\/2024-03-12T19:03:58\.390$/);
  });

  it('base64-encodes Kinesis data', () => {
    const record = get(generateEvent('kinesis', { data: 'Hello, this is a test.', stream: 's' }, ctx), 'Records', 0);
    assert.deepEqual(shape(record), shape(AWS.kinesisRecord));
    assert.equal(get(record, 'kinesis', 'data'), 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==');
    assert.equal(get(record, 'kinesis', 'approximateArrivalTimestamp'), 1710270238.39);
  });

  it('builds an HTTP API 2.0 event with comma-joined query values and CLF time', () => {
    const event = generateEvent('apigw-v2', { method: 'post', path: '/items', query: 'a=1&a=2', body: '{}' }, ctx);
    assert.equal(get(event, 'version'), '2.0');
    assert.equal(get(event, 'rawQueryString'), 'a=1&a=2');
    assert.deepEqual(get(event, 'queryStringParameters'), { a: '1,2' });
    assert.equal(get(event, 'requestContext', 'http', 'method'), 'POST');
    assert.equal(get(event, 'requestContext', 'time'), '12/Mar/2024:19:03:58 +0000');
    assert.equal(get(event, 'requestContext', 'timeEpoch'), NOW.getTime());
    assert.equal(get(event, 'headers', 'content-type'), 'application/json');
    assert.equal('body' in (generateEvent('apigw-v2', {}, ctx) as object), false);
  });

  it('builds a REST 1.0 event with multi-value parts and nulls for absent ones', () => {
    const event = generateEvent('apigw-v1', { path: '/pets/1', query: 'a=1&a=2' }, ctx);
    for (const key of ['resource', 'path', 'httpMethod', 'headers', 'multiValueHeaders', 'queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters', 'stageVariables', 'requestContext', 'body', 'isBase64Encoded']) {
      assert.ok(key in (event as object), key);
    }
    assert.deepEqual(get(event, 'queryStringParameters'), { a: '2' });
    assert.deepEqual(get(event, 'multiValueQueryStringParameters'), { a: ['1', '2'] });
    assert.deepEqual(get(event, 'pathParameters'), { proxy: 'pets/1' });
    assert.equal(get(event, 'body'), null);
    assert.equal(get(event, 'requestContext', 'path'), '/prod/pets/1');
  });

  it('builds an ALB event that leaves query values encoded', () => {
    const event = generateEvent('alb', { query: 'q=a%20b' }, ctx);
    assert.deepEqual(shape({ ...(event as object), headers: {}, queryStringParameters: {} }), shape(AWS.alb));
    assert.deepEqual(get(event, 'queryStringParameters'), { q: 'a%20b' });
  });

  it('builds TOKEN and REQUEST authorizer inputs', () => {
    const token = generateEvent('authorizer-token', { token: 'abc', methodArn: AWS.token.methodArn }, ctx);
    assert.deepEqual(token, { ...AWS.token, authorizationToken: 'abc' });
    const request = generateEvent('authorizer-request', { path: '/request', query: 'q=1' }, ctx);
    assert.equal(get(request, 'type'), 'REQUEST');
    assert.match(String(get(request, 'methodArn')), /^arn:aws:execute-api:us-east-1:123456789012:[a-z0-9]{10}\/test\/GET\/request$/);
    assert.deepEqual(get(request, 'queryStringParameters'), { q: '1' });
  });

  it('generates every listed type as JSON', () => {
    for (const type of EVENT_TYPE_NAMES) assert.doesNotThrow(() => JSON.stringify(generateEvent(type, {}, ctx)), type);
  });

  it('rejects an unknown type, listing the valid ones', () => {
    assert.throws(
      () => generateEvent('s3-copy', {}, ctx),
      (error) => isLaambdaError(error) && error.code === 'ERR_EVENT_TYPE_UNKNOWN' && error.message.includes('s3-put'),
    );
  });

  it('rejects an option the type does not take, and bad values', () => {
    assert.throws(
      () => generateEvent('sqs', { bucket: 'b' }, ctx),
      (error) => isLaambdaError(error) && error.code === 'ERR_EVENT_OPTION_INVALID' && error.message.includes('--queue'),
    );
    assert.throws(() => generateEvent('sqs', { count: '0' }, ctx), /--count/);
    assert.throws(() => generateEvent('dynamodb', { eventName: 'UPSERT' }, ctx), /INSERT, MODIFY, REMOVE/);
  });
});
