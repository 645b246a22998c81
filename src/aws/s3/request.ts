// One S3 request as the routes see it, and reading its body: streamed for object data (checks
// deferred to the end of the stream), buffered for the small XML documents.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm, StoredHeaders } from '../../core/buckets.ts';
import {
  type BodyChecks,
  BucketError,
  type BucketCaller,
  type BucketService,
  checksumAlgorithmOf,
  checksumOf,
} from '../../events/bucket/index.ts';
import { AwsChunkedDecoder } from './chunked.ts';

export interface S3Request {
  req: IncomingMessage;
  res: ServerResponse;
  service: BucketService;
  caller: BucketCaller;
  requestId: string;
  method: string;
  bucket: string;
  key: string;
  /** Decoded query parameters (no `+` → space: S3 clients percent-encode). */
  query: Map<string, string>;
  region: string;
}

export function header(r: S3Request, name: string): string | undefined {
  const value = r.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const STORED_HEADERS = ['content-encoding', 'content-disposition', 'cache-control', 'content-language', 'expires'] as const;

/** `x-amz-meta-*` headers, by lower-case name without the prefix. */
export function userMetadata(r: S3Request): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.req.headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice(11)] = Array.isArray(value) ? value.join(',') : value;
  }
  return metadata;
}

/** Content-Encoding without the transport-only `aws-chunked`, and the other stored headers. */
export function storedHeaders(r: S3Request): StoredHeaders {
  const headers: StoredHeaders = {};
  for (const name of STORED_HEADERS) {
    let value = header(r, name);
    if (name === 'content-encoding' && value !== undefined) {
      value = value.split(',').map((part) => part.trim()).filter((part) => part !== '' && part !== 'aws-chunked').join(', ');
    }
    if (value) headers[name] = value;
  }
  return headers;
}

/** The algorithm the client declared for this write, and the header carrying its value, if any. */
function declaredChecksum(r: S3Request): { algorithm: ChecksumAlgorithm | undefined; headerValue: string | undefined; trailer: string | undefined } {
  for (const name of Object.keys(r.req.headers)) {
    if (!name.startsWith('x-amz-checksum-') || name === 'x-amz-checksum-algorithm' || name === 'x-amz-checksum-type' || name === 'x-amz-checksum-mode') continue;
    const algorithm = checksumAlgorithmOf(name);
    if (algorithm) return { algorithm, headerValue: header(r, name), trailer: undefined };
  }
  const trailer = header(r, 'x-amz-trailer')?.trim().toLowerCase();
  const fromTrailer = trailer === undefined ? undefined : checksumAlgorithmOf(trailer);
  if (fromTrailer) return { algorithm: fromTrailer, headerValue: undefined, trailer };
  const named = header(r, 'x-amz-sdk-checksum-algorithm') ?? header(r, 'x-amz-checksum-algorithm');
  return { algorithm: named === undefined ? undefined : checksumAlgorithmOf(named), headerValue: undefined, trailer: undefined };
}

function contentMd5(r: S3Request): string | undefined {
  const value = header(r, 'content-md5');
  if (value === undefined) return undefined;
  if (Buffer.from(value, 'base64').length !== 16) throw new BucketError('InvalidDigest', 'The Content-MD5 you specified was invalid.');
  return value;
}

/** The object bytes of a PutObject/UploadPart and what they must prove once read. */
export function objectBody(r: S3Request): { stream: Readable; checks: BodyChecks } {
  const declared = header(r, 'x-amz-content-sha256');
  const { algorithm, headerValue, trailer } = declaredChecksum(r);
  const checks: BodyChecks = {};
  const md5 = contentMd5(r);
  if (md5 !== undefined) checks.contentMd5 = md5;
  if (algorithm) checks.checksumAlgorithm = algorithm;
  let stream: Readable = r.req;
  if (declared?.startsWith('STREAMING-')) {
    const decoder = new AwsChunkedDecoder();
    r.req.on('error', (error) => decoder.destroy(error));
    stream = r.req.pipe(decoder);
    const length = header(r, 'x-amz-decoded-content-length');
    if (length !== undefined && /^\d+$/.test(length)) checks.length = Number(length);
    if (trailer !== undefined) checks.expectedChecksum = () => decoder.trailers.get(trailer);
  } else if (declared !== undefined && HEX_SHA256.test(declared)) {
    checks.sha256 = declared;
  }
  if (headerValue !== undefined) checks.expectedChecksum = () => headerValue;
  return { stream, checks };
}

/** Reads a body of at most `limit` bytes (aws-chunked decoded); EntityTooLarge beyond. */
export async function readBody(r: S3Request, limit: number): Promise<Buffer> {
  const declared = header(r, 'x-amz-content-sha256');
  const source: Readable = declared?.startsWith('STREAMING-') ? r.req.pipe(new AwsChunkedDecoder()) : r.req;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BucketError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A small body with the checks S3 makes on it: the signed hash, Content-MD5, x-amz-checksum-*. */
export async function readCheckedBody(r: S3Request, limit: number): Promise<Buffer> {
  const body = await readBody(r, limit);
  const declared = header(r, 'x-amz-content-sha256');
  if (declared !== undefined && HEX_SHA256.test(declared) && createHash('sha256').update(body).digest('hex') !== declared.toLowerCase()) {
    throw new BucketError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const md5 = contentMd5(r);
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== Buffer.from(md5, 'base64').toString('base64')) {
    throw new BucketError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const { algorithm, headerValue } = declaredChecksum(r);
  if (algorithm && headerValue !== undefined && checksumOf(algorithm, body) !== headerValue) {
    throw new BucketError('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
  }
  return body;
}
