// Object actions: PutObject, CopyObject, GetObject, HeadObject, DeleteObject.
import { pipeline } from 'node:stream/promises';
import { BucketError, type Conditions } from '../../events/bucket/index.ts';
import { header, objectBody, type S3Request, storedHeaders, userMetadata } from './request.ts';
import { isoDate, objectHeaders, sendEmpty, sendXml } from './respond.ts';
import { xmlDocument } from './xml.ts';
import { checksumHeaderName } from '../../events/bucket/index.ts';

/** `?response-content-type=…` and friends override the stored headers (presigned downloads). */
const RESPONSE_OVERRIDES = ['content-type', 'content-language', 'expires', 'cache-control', 'content-disposition', 'content-encoding'];

export function conditionsOf(r: S3Request, prefix = ''): Conditions {
  const conditions: Conditions = {};
  const ifMatch = header(r, `${prefix}if-match`);
  const ifNoneMatch = header(r, `${prefix}if-none-match`);
  const ifModifiedSince = header(r, `${prefix}if-modified-since`);
  const ifUnmodifiedSince = header(r, `${prefix}if-unmodified-since`);
  if (ifMatch !== undefined) conditions.ifMatch = ifMatch;
  if (ifNoneMatch !== undefined) conditions.ifNoneMatch = ifNoneMatch;
  if (ifModifiedSince !== undefined) conditions.ifModifiedSince = ifModifiedSince;
  if (ifUnmodifiedSince !== undefined) conditions.ifUnmodifiedSince = ifUnmodifiedSince;
  return conditions;
}

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, maybe `?versionId=`. */
export function copySourceOf(value: string): { bucket: string; key: string } {
  const path = value.replace(/^\//, '').split('?', 1)[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new BucketError('InvalidArgument', 'Invalid copy source encoding', { ArgumentName: 'x-amz-copy-source' });
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new BucketError('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', {
      ArgumentName: 'x-amz-copy-source',
      ArgumentValue: value,
    });
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

export async function putObject(r: S3Request): Promise<void> {
  const copySource = header(r, 'x-amz-copy-source');
  if (copySource !== undefined) return copyObject(r, copySource);
  const { stream, checks } = objectBody(r);
  const ifNoneMatch = header(r, 'if-none-match');
  const ifMatch = header(r, 'if-match');
  const contentType = header(r, 'content-type');
  const result = await r.service.putObject(r.caller, r.bucket, r.key, stream, {
    ...(contentType === undefined ? {} : { contentType }),
    metadata: userMetadata(r),
    headers: storedHeaders(r),
    checks,
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
    ...(ifMatch === undefined ? {} : { ifMatch }),
  });
  const headers: Record<string, string> = { etag: result.eTag };
  if (result.checksum) {
    headers[checksumHeaderName(result.checksum.algorithm)] = result.checksum.value;
    headers['x-amz-checksum-type'] = result.checksum.type;
  }
  sendEmpty(r.res, 200, headers);
}

async function copyObject(r: S3Request, copySource: string): Promise<void> {
  const source = copySourceOf(copySource);
  const directive = header(r, 'x-amz-metadata-directive')?.toUpperCase() ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new BucketError('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  const contentType = header(r, 'content-type');
  const copy = await r.service.copyObject(r.caller, r.bucket, r.key, {
    sourceBucket: source.bucket,
    sourceKey: source.key,
    metadataDirective: directive,
    sourceConditions: conditionsOf(r, 'x-amz-copy-source-'),
    ...(contentType === undefined ? {} : { contentType }),
    metadata: userMetadata(r),
    headers: storedHeaders(r),
  });
  sendXml(r.res, 200, xmlDocument('CopyObjectResult', [['LastModified', isoDate(copy.lastModified)], ['ETag', copy.eTag]]));
}

export async function getObject(r: S3Request, head: boolean): Promise<void> {
  const range = header(r, 'range');
  const conditions = conditionsOf(r);
  if (r.query.has('partNumber')) {
    throw new BucketError('NotImplemented', 'Reading an object by part number is not implemented', { Header: 'partNumber' });
  }
  const read = await r.service.getObject(r.caller, r.bucket, r.key, { ...(range === undefined ? {} : { range }), conditions });
  const { object } = read;
  const withChecksum = header(r, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED' && read.range === undefined;
  const headers = objectHeaders(object, withChecksum);
  for (const name of RESPONSE_OVERRIDES) {
    const value = r.query.get(`response-${name}`);
    if (value !== undefined) headers[name] = value;
  }
  if (read.range) {
    headers['content-range'] = `bytes ${read.range.start}-${read.range.end}/${object.size}`;
    headers['content-length'] = String(read.range.end - read.range.start + 1);
  } else {
    headers['content-length'] = String(object.size);
  }
  const status = read.range ? 206 : 200;
  if (head) {
    r.res.writeHead(status, headers);
    r.res.end();
    return;
  }
  const stream = await read.open();
  r.res.writeHead(status, headers);
  await pipeline(stream, r.res);
}

export async function deleteObject(r: S3Request): Promise<void> {
  await r.service.deleteObject(r.caller, r.bucket, r.key);
  sendEmpty(r.res, 204);
}
