import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { md5Hex } from '../../core/queues.ts';
import { buildSqsEvent } from './payload.ts';

describe('buildSqsEvent', () => {
  it('builds the record of the Lambda developer guide sample, key for key and in order', () => {
    const event = buildSqsEvent(
      [
        {
          messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
          receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
          body: 'test',
          messageAttributes: { myAttribute: { dataType: 'String', stringValue: 'myValue' } },
          md5OfBody: md5Hex('test'),
          md5OfMessageAttributes: undefined,
          senderId: 'AIDAIENQZJOLO23YVJ4VO',
          sentAt: 1545082649183,
          receiveCount: 1,
          firstReceivedAt: 1545082649185,
        },
      ],
      'arn:aws:sqs:us-east-2:123456789012:my-queue',
      'us-east-2',
    );
    const sample = {
      Records: [
        {
          messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
          receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a',
          body: 'test',
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: '1545082649183',
            SenderId: 'AIDAIENQZJOLO23YVJ4VO',
            ApproximateFirstReceiveTimestamp: '1545082649185',
          },
          messageAttributes: { myAttribute: { stringValue: 'myValue', stringListValues: [], binaryListValues: [], dataType: 'String' } },
          md5OfBody: '098f6bcd4621d373cade4e832627b4f6',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue',
          awsRegion: 'us-east-2',
        },
      ],
    };
    assert.equal(JSON.stringify(event), JSON.stringify(sample));
  });

  it('adds the FIFO attributes of the Lambda developer guide FIFO sample, in its order', () => {
    const event = buildSqsEvent(
      [
        {
          messageId: '11d6ee51-4cc7-4302-9e22-7cd8afdaadf5',
          receiptHandle: 'AQEBBX8nesZEXmkhsmZeyIE8iQAMig7qw',
          body: 'Test message.',
          messageAttributes: {},
          md5OfBody: md5Hex('Test message.'),
          md5OfMessageAttributes: undefined,
          senderId: 'AIDAIO23YVJENQZJOL4VO',
          sentAt: 1573251510774,
          receiveCount: 1,
          firstReceivedAt: 1573251510774,
          fifo: { groupId: '1', deduplicationId: '1', sequenceNumber: '18849496460467696128' },
        },
      ],
      'arn:aws:sqs:us-east-2:123456789012:fifo.fifo',
      'us-east-2',
    );
    assert.equal(
      JSON.stringify(event.Records[0]!.attributes),
      JSON.stringify({
        ApproximateReceiveCount: '1',
        SentTimestamp: '1573251510774',
        SequenceNumber: '18849496460467696128',
        MessageGroupId: '1',
        SenderId: 'AIDAIO23YVJENQZJOL4VO',
        MessageDeduplicationId: '1',
        ApproximateFirstReceiveTimestamp: '1573251510774',
      }),
    );
  });

  it('sends binary attributes in base64', () => {
    const event = buildSqsEvent(
      [
        {
          messageId: 'm',
          receiptHandle: 'r',
          body: 'b',
          messageAttributes: { raw: { dataType: 'Binary', binaryValue: Buffer.from('hi') } },
          md5OfBody: md5Hex('b'),
          md5OfMessageAttributes: 'x'.repeat(32),
          senderId: 's',
          sentAt: 1,
          receiveCount: 1,
          firstReceivedAt: 2,
        },
      ],
      'arn',
      'r',
    );
    assert.equal(event.Records[0]!.messageAttributes.raw!.binaryValue, 'aGk=');
    assert.equal(event.Records[0]!.md5OfMessageAttributes, 'x'.repeat(32));
  });
});
