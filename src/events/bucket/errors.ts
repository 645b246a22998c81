// Errors of the bucket service. Each carries S3's own error name and status for the wire, and
// the nearest platform code for everything else (CLI, API, logs).
import { type ErrorCode, LaambdaError } from '../../core/errors.ts';

export type S3ErrorCode =
  | 'AccessDenied'
  | 'AuthorizationHeaderMalformed'
  | 'BadDigest'
  | 'BucketAlreadyOwnedByYou'
  | 'BucketNotEmpty'
  | 'EntityTooLarge'
  | 'EntityTooSmall'
  | 'IncompleteBody'
  | 'InternalError'
  | 'InvalidAccessKeyId'
  | 'InvalidArgument'
  | 'InvalidBucketName'
  | 'InvalidDigest'
  | 'InvalidPart'
  | 'InvalidPartOrder'
  | 'InvalidRange'
  | 'InvalidRequest'
  | 'KeyTooLongError'
  | 'MalformedXML'
  | 'MethodNotAllowed'
  | 'MissingContentLength'
  | 'NoSuchBucket'
  | 'NoSuchKey'
  | 'NoSuchUpload'
  | 'NotImplemented'
  | 'NotModified'
  | 'PreconditionFailed'
  | 'RequestTimeTooSkewed'
  | 'SignatureDoesNotMatch'
  | 'XAmzContentSHA256Mismatch';

const STATUS: Record<S3ErrorCode, number> = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  BadDigest: 400,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403,
  XAmzContentSHA256Mismatch: 400,
};

const PLATFORM_CODE: Partial<Record<S3ErrorCode, ErrorCode>> = {
  NoSuchBucket: 'ERR_BUCKET_NOT_FOUND',
  InvalidBucketName: 'ERR_BUCKET_INVALID',
  BucketAlreadyOwnedByYou: 'ERR_BUCKET_INVALID',
  BucketNotEmpty: 'ERR_BUCKET_NOT_EMPTY',
  NoSuchKey: 'ERR_OBJECT_NOT_FOUND',
  NoSuchUpload: 'ERR_OBJECT_NOT_FOUND',
  KeyTooLongError: 'ERR_OBJECT_KEY_INVALID',
  InternalError: 'ERR_PLATFORM_INTERNAL',
};

/** Extra elements of S3's XML error (`BucketName`, `Key`, `UploadId`, …). */
export type S3ErrorFields = Record<string, string | number | undefined>;

export class BucketError extends LaambdaError {
  readonly s3Code: S3ErrorCode;
  readonly s3Status: number;
  readonly fields: S3ErrorFields;

  constructor(s3Code: S3ErrorCode, message: string, fields: S3ErrorFields = {}, options: { code?: ErrorCode; cause?: unknown } = {}) {
    super(options.code ?? PLATFORM_CODE[s3Code] ?? 'ERR_API_REQUEST_INVALID', message, {
      cause: options.cause,
      details: { s3Code, ...fields },
    });
    this.name = 'BucketError';
    this.s3Code = s3Code;
    this.s3Status = STATUS[s3Code];
    this.fields = fields;
  }
}

export function isBucketError(error: unknown): error is BucketError {
  return error instanceof BucketError;
}

export function noSuchBucket(bucket: string): BucketError {
  return new BucketError('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
}

export function noSuchKey(key: string): BucketError {
  return new BucketError('NoSuchKey', 'The specified key does not exist.', { Key: key });
}

export function noSuchUpload(uploadId: string): BucketError {
  return new BucketError(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId },
  );
}

export function badDigest(message: string): BucketError {
  return new BucketError('BadDigest', message);
}
