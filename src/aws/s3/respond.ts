// Writing S3 answers: XML documents, XML errors (none on HEAD), and an object's headers.
import type { ServerResponse } from 'node:http';
import type { StoredObject } from '../../core/buckets.ts';
import { type BucketError, checksumHeaderName } from '../../events/bucket/index.ts';
import { escapeXml } from './xml.ts';

export function sendXml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': String(bytes.length) });
  res.end(bytes);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-length': '0' });
  res.end();
}

/** `<Error><Code/><Message/>…fields…<RequestId/></Error>`; HEAD answers carry no body. */
export function sendError(res: ServerResponse, method: string, error: BucketError, requestId: string, resource?: string): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  if (error.s3Code === 'NotModified') {
    sendEmpty(res, 304);
    return;
  }
  const fields = Object.entries(error.fields)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.s3Code}</Code><Message>${escapeXml(error.message)}</Message>` +
    `${fields}${resource === undefined ? '' : `<Resource>${escapeXml(resource)}</Resource>`}<RequestId>${requestId}</RequestId></Error>`;
  if (method === 'HEAD') {
    res.writeHead(error.s3Status, { 'content-type': 'application/xml' });
    res.end();
    return;
  }
  sendXml(res, error.s3Status, body, error.s3Code === 'InvalidRange' ? { 'content-range': `bytes */${error.fields.ActualObjectSize}` } : {});
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** Content-Type, ETag, Last-Modified, stored headers, metadata (and the checksum when asked). */
export function objectHeaders(object: StoredObject, withChecksum: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': object.contentType,
    etag: object.eTag,
    'last-modified': httpDate(object.lastModified),
    'accept-ranges': 'bytes',
  };
  for (const [name, value] of Object.entries(object.headers)) if (value !== undefined) headers[name] = value;
  for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
  if (withChecksum && object.checksum) {
    headers[checksumHeaderName(object.checksum.algorithm)] = object.checksum.value;
    headers['x-amz-checksum-type'] = object.checksum.type;
  }
  return headers;
}
