// The S3 endpoint, path style: `/BUCKET/KEY…` (and `GET /` for ListBuckets). SigV4 is checked
// without the body; object bodies stream into the bucket service, which checks the declared
// payload hash, Content-MD5 and flexible checksums once the last byte is in.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLaambdaError } from '../../core/errors.ts';
import type { Logger } from '../../core/ports.ts';
import { BucketError, type BucketService, isBucketError } from '../../events/bucket/index.ts';
import type { AwsAuthenticate } from '../auth.ts';
import type { SigV4Failure } from '../sigv4/index.ts';
import * as buckets from './bucket-routes.ts';
import * as multipart from './multipart-routes.ts';
import * as objects from './object-routes.ts';
import type { S3Request } from './request.ts';
import { sendError } from './respond.ts';

export interface S3HandlerOptions {
  service: BucketService;
  authenticate: AwsAuthenticate;
  /** The region the endpoint reports for new buckets' defaults and in errors. */
  region: string;
  logger: Logger;
}

export type S3Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

// Subresources laambda does not implement: answered with NotImplemented rather than mistaken for
// a plain object or bucket request (query names like `x-id` that the SDK adds are not here).
const UNSUPPORTED = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'encryption', 'intelligent-tiering', 'inventory', 'legal-hold',
  'lifecycle', 'logging', 'metadataTable', 'metrics', 'notification', 'object-lock', 'ownershipControls', 'policy',
  'policyStatus', 'publicAccessBlock', 'renameObject', 'replication', 'requestPayment', 'restore', 'retention', 'select',
  'session', 'tagging', 'torrent', 'versioning', 'versions', 'website',
]);

export function createS3Handler(options: S3HandlerOptions): S3Handler {
  const { service, authenticate, region, logger } = options;
  return async (req, res) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
    const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1);
    let resource: string | undefined;
    try {
      const { bucket, key } = parsePath(rawPath);
      resource = key === '' ? `/${bucket}` : `/${bucket}/${key}`;
      const outcome = await authenticate({ method, rawPath, rawQuery, headers: req.headersDistinct }, 's3');
      if (!outcome.ok) throw authError(outcome);
      if (req.headers.authorization !== undefined && req.headers['x-amz-content-sha256'] === undefined) {
        throw new BucketError('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
      }
      const r: S3Request = {
        req,
        res,
        service,
        caller: { appId: outcome.appId, requestId, sourceIp: sourceIpOf(req) },
        requestId,
        method,
        bucket,
        key,
        query: parseQuery(rawQuery),
        region,
      };
      await route(r);
    } catch (error) {
      const s3Error = toS3Error(error);
      if (s3Error.s3Status >= 500) logger.error({ requestId, method, path: rawPath, err: error }, 's3 request failed');
      else logger.debug({ requestId, method, path: rawPath, code: s3Error.s3Code }, 's3 request refused');
      sendError(res, method, s3Error, requestId, resource);
      // Let an unread upload body drain so the connection can carry the next request.
      if (!req.readableEnded) req.resume();
    }
  };
}

function route(r: S3Request): Promise<void> {
  const { method, query } = r;
  const unsupported = [...query.keys()].find((name) => UNSUPPORTED.has(name));
  if (r.bucket === '') {
    if (method === 'GET') return buckets.listBuckets(r);
    throw notAllowed(method);
  }
  if (unsupported !== undefined) {
    throw new BucketError('NotImplemented', `A header or query you provided implies functionality that is not implemented (${unsupported})`);
  }
  if (r.key === '') {
    switch (method) {
      case 'GET':
        if (query.has('location')) return buckets.getBucketLocation(r);
        if (query.has('uploads')) return multipart.listMultipartUploads(r);
        return buckets.listObjects(r, query.get('list-type') === '2' ? 2 : 1);
      case 'HEAD':
        return buckets.headBucket(r);
      case 'PUT':
        return buckets.createBucket(r);
      case 'DELETE':
        return buckets.deleteBucket(r);
      case 'POST':
        if (query.has('delete')) return buckets.deleteObjects(r);
        throw new BucketError('NotImplemented', 'Browser-based POST uploads are not implemented');
      default:
        throw notAllowed(method);
    }
  }
  switch (method) {
    case 'GET':
      if (query.has('uploadId')) return multipart.listParts(r);
      return objects.getObject(r, false);
    case 'HEAD':
      return objects.getObject(r, true);
    case 'PUT':
      if (query.has('uploadId') || query.has('partNumber')) return multipart.uploadPart(r);
      return objects.putObject(r);
    case 'DELETE':
      if (query.has('uploadId')) return multipart.abortMultipartUpload(r);
      return objects.deleteObject(r);
    case 'POST':
      if (query.has('uploads')) return multipart.createMultipartUpload(r);
      if (query.has('uploadId')) return multipart.completeMultipartUpload(r);
      throw new BucketError('NotImplemented', 'This POST request is not implemented');
    default:
      throw notAllowed(method);
  }
}

function notAllowed(method: string): BucketError {
  return new BucketError('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method, ResourceType: 'OBJECT' });
}

/** `/bucket/key/with/slashes`; the key is everything after the bucket's slash, decoded. */
function parsePath(rawPath: string): { bucket: string; key: string } {
  const path = rawPath.replace(/^\/+/, '');
  const slash = path.indexOf('/');
  try {
    if (slash === -1) return { bucket: decodeURIComponent(path), key: '' };
    return { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)) };
  } catch (error) {
    throw new BucketError('InvalidArgument', 'Couldn\'t parse the specified URI.', { URI: rawPath }, { cause: error });
  }
}

function parseQuery(rawQuery: string): Map<string, string> {
  const query = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    try {
      query.set(decodeURIComponent(name), decodeURIComponent(value));
    } catch (error) {
      throw new BucketError('InvalidArgument', 'Couldn\'t parse the query string.', { ArgumentName: name }, { cause: error });
    }
  }
  return query;
}

function sourceIpOf(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

/** SigV4's answer in S3's words. */
function authError(failure: SigV4Failure): BucketError {
  switch (failure.code) {
    case 'InvalidSignatureException':
      if (/^Signature (expired|not yet current)/.test(failure.message)) {
        return new BucketError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
      }
      return new BucketError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    case 'UnrecognizedClientException':
      return new BucketError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    case 'IncompleteSignature':
      return new BucketError('AuthorizationHeaderMalformed', failure.message);
    case 'XAmzContentSHA256Mismatch':
      return new BucketError('XAmzContentSHA256Mismatch', failure.message);
    case 'AccessDenied':
      return new BucketError('AccessDenied', failure.message);
    case 'MissingAuthenticationToken':
      return new BucketError('AccessDenied', 'Access Denied');
  }
}

function toS3Error(error: unknown): BucketError {
  if (isBucketError(error)) return error;
  if (isLaambdaError(error) && error.kind === 'user') {
    return new BucketError('InvalidRequest', error.message, {}, { code: error.code, cause: error });
  }
  return new BucketError('InternalError', 'We encountered an internal error. Please try again.', {}, { cause: error });
}

