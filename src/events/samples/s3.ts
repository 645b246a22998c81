import { DEFAULT_REGION, hex, type SampleContext, type SampleValues, upperAlnum } from './context.ts';
import { intValue } from './options.ts';

/**
 * The object key as S3 puts it in an event: form-URL-encoded, so `red flower.jpg` arrives as
 * `red+flower.jpg` (AWS S3 user guide, "Event message structure"); `/` stays as it is.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+')
    .replaceAll('%2F', '/');
}

function s3Record(values: SampleValues, ctx: SampleContext, eventName: string, object: Record<string, unknown>) {
  const bucket = values.bucket ?? 'amzn-s3-demo-bucket';
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: values.region ?? DEFAULT_REGION,
    eventTime: ctx.now.toISOString(),
    eventName,
    userIdentity: { principalId: `AWS:AIDA${upperAlnum(ctx, 17)}` },
    requestParameters: { sourceIPAddress: '192.0.2.1' },
    responseElements: {
      'x-amz-request-id': hex(ctx, 8).toUpperCase(),
      'x-amz-id-2': ctx.bytes(48).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'testConfigRule',
      bucket: {
        name: bucket,
        ownerIdentity: { principalId: `A${upperAlnum(ctx, 13)}` },
        arn: `arn:aws:s3:::${bucket}`,
      },
      object: {
        key: encodeS3EventKey(values.key ?? 'HappyFace.jpg'),
        ...object,
        // S3 sequencers are hex of varying length; ordering only matters per key.
        sequencer: hex(ctx, 9).toUpperCase(),
      },
    },
  };
}

export function s3PutEvent(values: SampleValues, ctx: SampleContext) {
  const size = intValue(values, 'size', 1024, 0, 5 * 1024 ** 4);
  return { Records: [s3Record(values, ctx, 'ObjectCreated:Put', { size, eTag: hex(ctx, 16) })] };
}

export function s3DeleteEvent(values: SampleValues, ctx: SampleContext) {
  return { Records: [s3Record(values, ctx, 'ObjectRemoved:Delete', {})] };
}
