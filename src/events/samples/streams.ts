import { ACCOUNT_ID, DEFAULT_REGION, digits, epochSecondsMs, hex, type SampleContext, type SampleValues } from './context.ts';
import { choiceValue } from './options.ts';

export const DYNAMODB_EVENT_NAMES = ['INSERT', 'MODIFY', 'REMOVE'] as const;

type AttributeMap = Record<string, { S: string } | { N: string }>;

/** DynamoDB counts attribute names plus values; close enough for a sample. */
function sizeOf(...maps: (AttributeMap | undefined)[]): number {
  let size = 0;
  for (const map of maps) {
    for (const [name, value] of Object.entries(map ?? {})) size += name.length + (Object.values(value)[0] ?? '').length;
  }
  return size;
}

export function dynamodbEvent(values: SampleValues, ctx: SampleContext) {
  const region = values.region ?? DEFAULT_REGION;
  const eventName = choiceValue(values, 'eventName', DYNAMODB_EVENT_NAMES, 'INSERT');
  const Keys: AttributeMap = { Id: { N: '101' } };
  const newImage: AttributeMap | undefined =
    eventName === 'REMOVE' ? undefined : { Message: { S: eventName === 'INSERT' ? 'New item!' : 'This item has changed' }, Id: { N: '101' } };
  const oldImage: AttributeMap | undefined = eventName === 'INSERT' ? undefined : { Message: { S: 'New item!' }, Id: { N: '101' } };
  // The stream label is the stream's creation time, ISO 8601 without the zone.
  const streamLabel = ctx.now.toISOString().replace('Z', '');
  return {
    Records: [
      {
        eventID: hex(ctx, 16),
        eventName,
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: region,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(ctx.now.getTime() / 1000),
          Keys,
          ...(newImage === undefined ? {} : { NewImage: newImage }),
          ...(oldImage === undefined ? {} : { OldImage: oldImage }),
          SequenceNumber: digits(ctx, 21),
          SizeBytes: sizeOf(Keys, newImage, oldImage),
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        eventSourceARN: `arn:aws:dynamodb:${region}:${ACCOUNT_ID}:table/${values.table ?? 'ExampleTableWithStream'}/stream/${streamLabel}`,
      },
    ],
  };
}

export function kinesisEvent(values: SampleValues, ctx: SampleContext) {
  const region = values.region ?? DEFAULT_REGION;
  const sequenceNumber = digits(ctx, 56);
  return {
    Records: [
      {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: '1',
          sequenceNumber,
          data: Buffer.from(values.data ?? 'Hello, this is a test.', 'utf8').toString('base64'),
          approximateArrivalTimestamp: epochSecondsMs(ctx.now),
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT_ID}:role/lambda-role`,
        awsRegion: region,
        eventSourceARN: `arn:aws:kinesis:${region}:${ACCOUNT_ID}:stream/${values.stream ?? 'lambda-stream'}`,
      },
    ],
  };
}
