// Buckets and objects: the service behind the S3 endpoint, and the notification helpers.
export { BucketService, type BucketServiceOptions } from './service.ts';
export { BucketError, isBucketError, type S3ErrorCode, type S3ErrorFields } from './errors.ts';
export { matchesSource, s3Event, type S3Event, type S3EventOptions, type S3EventRecord } from './notifications.ts';
export { bucketNameProblem, MAX_KEY_BYTES } from './names.ts';
export { checksumAlgorithmOf, checksumHeaderName, checksumOf, crc32c, ChecksumHasher } from './checksums.ts';
export type { Conditions } from './conditions.ts';
export type { PartListing } from './multipart.ts';
export type * from './types.ts';
