// The event Lambda hands a function for a batch of SQS messages (pure; AWS casing).
import type { ReceivedMessage } from '../../core/queues.ts';

export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
    /** FIFO queues only, as Lambda sends them. */
    SequenceNumber?: string;
    MessageGroupId?: string;
    MessageDeduplicationId?: string;
  };
  messageAttributes: Record<
    string,
    { stringValue?: string; binaryValue?: string; stringListValues: string[]; binaryListValues: string[]; dataType: string }
  >;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

export function buildSqsEvent(messages: ReceivedMessage[], queueArn: string, region: string): SqsEvent {
  return {
    Records: messages.map((message) => {
      const messageAttributes: SqsRecord['messageAttributes'] = {};
      for (const [name, value] of Object.entries(message.messageAttributes)) {
        messageAttributes[name] = {
          ...(value.binaryValue !== undefined
            ? { binaryValue: value.binaryValue.toString('base64') }
            : { stringValue: value.stringValue ?? '' }),
          stringListValues: [],
          binaryListValues: [],
          dataType: value.dataType,
        };
      }
      return {
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        // Lambda's FIFO records put SequenceNumber and MessageGroupId before SenderId.
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          ...(message.fifo ? { SequenceNumber: message.fifo.sequenceNumber, MessageGroupId: message.fifo.groupId } : {}),
          SenderId: message.senderId,
          ...(message.fifo ? { MessageDeduplicationId: message.fifo.deduplicationId } : {}),
          ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
        },
        messageAttributes,
        md5OfBody: message.md5OfBody,
        ...(message.md5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: region,
      };
    }),
  };
}
