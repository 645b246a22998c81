// Which bucket event sources an object event concerns, and the S3 notification event a function
// receives for it (AWS S3 user guide, "Event message structure", eventVersion 2.1). Pure.
import { createHash } from 'node:crypto';
import type { BucketEventSource } from '../../core/app.ts';
import { encodeS3EventKey } from '../samples/index.ts';
import type { ObjectEvent } from './types.ts';

/** `s3:ObjectCreated:*` style names; the `s3:` prefix may be left out in a definition. */
function normalise(name: string): string {
  return name.startsWith('s3:') ? name : `s3:${name}`;
}

function eventMatches(pattern: string, eventName: string): boolean {
  const wanted = normalise(pattern);
  if (wanted === 's3:*') return true;
  if (wanted.endsWith(':*')) return eventName.startsWith(wanted.slice(0, -1));
  return wanted === eventName;
}

/** True when the source names this bucket, one of its events matches, and the key filters pass. */
export function matchesSource(source: BucketEventSource, event: ObjectEvent): boolean {
  if (source.bucket !== event.bucket) return false;
  if (!source.events.some((pattern) => eventMatches(pattern, event.eventName))) return false;
  if (source.prefix && !event.key.startsWith(source.prefix)) return false;
  if (source.suffix && !event.key.endsWith(source.suffix)) return false;
  return true;
}

export interface S3EventOptions {
  region: string;
  /** The notification configuration's id; default `laambda`. */
  configurationId?: string;
  /** Default `arn:aws:s3:::BUCKET`. */
  bucketArn?: string;
  /** Who made the request; default `AWS:<appId>`. */
  principalId?: string;
  /** The bucket owner; default the app id. */
  ownerId?: string;
}

export interface S3EventRecord {
  eventVersion: '2.1';
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { 'x-amz-request-id': string; 'x-amz-id-2': string };
  s3: {
    s3SchemaVersion: '1.0';
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size?: number; eTag?: string; sequencer: string };
  };
}

export interface S3Event {
  Records: S3EventRecord[];
}

/** The event Lambda receives for these object events (one record each, in order). */
export function s3Event(records: readonly ObjectEvent[], options: S3EventOptions): S3Event {
  return { Records: records.map((event) => s3Record(event, options)) };
}

function s3Record(event: ObjectEvent, options: S3EventOptions): S3EventRecord {
  const removed = event.eventName.startsWith('s3:ObjectRemoved:');
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: options.region,
    eventTime: event.time,
    eventName: event.eventName.replace(/^s3:/, ''),
    userIdentity: { principalId: options.principalId ?? `AWS:${event.appId}` },
    requestParameters: { sourceIPAddress: event.sourceIp },
    responseElements: {
      'x-amz-request-id': event.requestId,
      // S3's extended request id; derived so the same event always reads the same.
      'x-amz-id-2': createHash('sha384').update(`${event.requestId}/${event.sequencer}`).digest('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: options.configurationId ?? 'laambda',
      bucket: {
        name: event.bucket,
        ownerIdentity: { principalId: options.ownerId ?? event.appId },
        arn: options.bucketArn ?? `arn:aws:s3:::${event.bucket}`,
      },
      object: removed
        ? { key: encodeS3EventKey(event.key), sequencer: event.sequencer }
        : { key: encodeS3EventKey(event.key), size: event.size, eTag: event.eTag, sequencer: event.sequencer },
    },
  };
}
