// The bucket service's inputs, outputs and events (domain shapes; the S3 wire lives in src/aws/s3).
import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm, ObjectChecksum, StoredHeaders, StoredObject } from '../../core/buckets.ts';
import type { Conditions } from './conditions.ts';

/** Who asks: the app whose buckets are meant, and what an event about it should say. */
export interface BucketCaller {
  appId: string;
  requestId?: string;
  sourceIp?: string;
}

export type ObjectEventName =
  | 's3:ObjectCreated:Put'
  | 's3:ObjectCreated:Post'
  | 's3:ObjectCreated:Copy'
  | 's3:ObjectCreated:CompleteMultipartUpload'
  | 's3:ObjectRemoved:Delete';

/** An object was created or removed; the platform turns it into S3 notification records. */
export interface ObjectEvent {
  appId: string;
  bucket: string;
  key: string;
  /** 0 for removals. */
  size: number;
  /** Without quotes, as S3 events carry it; '' for removals. */
  eTag: string;
  eventName: ObjectEventName;
  /** Upper-case hex; for one key, a later event has a greater sequencer. */
  sequencer: string;
  requestId: string;
  sourceIp: string;
  /** ISO 8601. */
  time: string;
}

/** What the body must prove once it has been read in full. */
export interface BodyChecks {
  /** Base64 MD5 (`Content-MD5`). */
  contentMd5?: string;
  /** Hex sha256 the request signed (`x-amz-content-sha256`). */
  sha256?: string;
  /** The flexible checksum to compute and store. */
  checksumAlgorithm?: ChecksumAlgorithm;
  /** The client's base64 value of it: a header, or a trailer known only after the body ended. */
  expectedChecksum?: () => string | undefined;
  /** The length the client announced (`Content-Length` or `x-amz-decoded-content-length`). */
  length?: number;
}

export interface ObjectWriteOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  headers?: StoredHeaders;
}

export interface PutObjectOptions extends ObjectWriteOptions {
  checks?: BodyChecks;
  /** Conditional write: `*` refuses to overwrite, an ETag requires it. */
  ifNoneMatch?: string;
  ifMatch?: string;
}

export interface PutResult {
  eTag: string;
  size: number;
  checksum: ObjectChecksum | null;
  lastModified: number;
}

export interface GetObjectOptions {
  range?: string;
  conditions?: Conditions;
}

export interface ObjectRead {
  object: StoredObject;
  /** Set for a satisfiable Range request (206). */
  range: { start: number; end: number } | undefined;
  /** The bytes (of the range, if any). */
  open(): Promise<Readable>;
}

export interface ListObjectsOptions {
  prefix?: string;
  delimiter?: string;
  /** 0-1000; default 1000. */
  maxKeys?: number;
  continuationToken?: string;
  startAfter?: string;
}

export interface ObjectListing {
  contents: StoredObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  nextContinuationToken: string | undefined;
  /** The last key or prefix listed (ListObjects v1's NextMarker). */
  lastListed: string | undefined;
}

export interface CopyObjectOptions extends ObjectWriteOptions {
  sourceBucket: string;
  sourceKey: string;
  /** COPY (default) keeps the source's metadata; REPLACE takes the given. */
  metadataDirective?: 'COPY' | 'REPLACE';
  /** x-amz-copy-source-if-*. */
  sourceConditions?: Conditions;
}

export interface DeleteObjectsResult {
  deleted: string[];
  errors: Array<{ key: string; code: string; message: string }>;
}

export interface CompletedPart {
  partNumber: number;
  eTag: string;
}
