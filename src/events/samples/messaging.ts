import {
  ACCOUNT_ID,
  DEFAULT_REGION,
  hex,
  isoSeconds,
  md5,
  type SampleContext,
  type SampleValues,
  upperAlnum,
} from './context.ts';
import { intValue } from './options.ts';

export function sqsEvent(values: SampleValues, ctx: SampleContext) {
  const region = values.region ?? DEFAULT_REGION;
  const count = intValue(values, 'count', 1, 1, 10_000);
  const body = values.body ?? 'Hello from SQS!';
  const sent = ctx.now.getTime();
  const senderId = `AIDA${upperAlnum(ctx, 17)}`;
  const Records = Array.from({ length: count }, () => ({
    messageId: ctx.uuid(),
    receiptHandle: `AQEB${ctx.bytes(96).toString('base64')}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sent),
      SenderId: senderId,
      ApproximateFirstReceiveTimestamp: String(sent + 2),
    },
    messageAttributes: {},
    md5OfBody: md5(body),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:${ACCOUNT_ID}:${values.queue ?? 'my-queue'}`,
    awsRegion: region,
  }));
  return { Records };
}

export function snsEvent(values: SampleValues, ctx: SampleContext) {
  const region = values.region ?? DEFAULT_REGION;
  const topicArn = `arn:aws:sns:${region}:${ACCOUNT_ID}:${values.topic ?? 'sns-lambda'}`;
  const subscriptionArn = `${topicArn}:${ctx.uuid()}`;
  return {
    Records: [
      {
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        EventSource: 'aws:sns',
        Sns: {
          SignatureVersion: '1',
          Timestamp: ctx.now.toISOString(),
          Signature: ctx.bytes(256).toString('base64'),
          SigningCertUrl: `https://sns.${region}.amazonaws.com/SimpleNotificationService-${hex(ctx, 16)}.pem`,
          MessageId: ctx.uuid(),
          Message: values.message ?? 'Hello from SNS!',
          MessageAttributes: {},
          Type: 'Notification',
          UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
          TopicArn: topicArn,
          // SNS sends null when the publisher set no subject.
          Subject: values.subject ?? null,
        },
      },
    ],
  };
}

export function scheduleEvent(values: SampleValues, ctx: SampleContext) {
  const region = values.region ?? DEFAULT_REGION;
  return {
    version: '0',
    id: ctx.uuid(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT_ID,
    time: isoSeconds(ctx.now),
    region,
    resources: [`arn:aws:events:${region}:${ACCOUNT_ID}:rule/${values.rule ?? 'my-scheduled-rule'}`],
    detail: {},
  };
}
