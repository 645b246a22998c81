// What S3 accepts as a bucket name and an object key. A key is only ever a database value, so
// `../` is a legal name; NUL and over-long keys are refused as S3 refuses them.
import { BucketError } from './errors.ts';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
export const MAX_KEY_BYTES = 1024;

/** Why a bucket name breaks S3's naming rules, or undefined when it follows them. */
export function bucketNameProblem(name: string): string | undefined {
  if (!BUCKET_NAME.test(name)) return 'Bucket names have 3-63 lowercase letters, digits, dots and hyphens and start and end with a letter or digit';
  if (name.includes('..')) return 'Bucket names must not contain two adjacent periods';
  if (name.includes('.-') || name.includes('-.')) return 'Bucket names must not contain a period next to a hyphen';
  if (IP_ADDRESS.test(name)) return 'Bucket names must not be formatted as an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.startsWith('amzn-s3-demo-x')) {
    return 'Bucket names must not start with a reserved prefix';
  }
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3') || name.endsWith('.mrap') || name.endsWith('--x-s3')) {
    return 'Bucket names must not end with a reserved suffix';
  }
  return undefined;
}

export function checkBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined) throw new BucketError('InvalidBucketName', `The specified bucket is not valid. ${problem}.`, { BucketName: name });
}

export function checkKey(key: string): void {
  if (key.length === 0) throw new BucketError('InvalidArgument', 'Object keys must not be empty', { ArgumentName: 'key' }, { code: 'ERR_OBJECT_KEY_INVALID' });
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new BucketError('KeyTooLongError', 'Your key is too long', { Size: bytes, MaxSizeAllowed: MAX_KEY_BYTES });
  }
  if (key.includes('\0')) {
    throw new BucketError('InvalidArgument', 'Object keys must not contain NUL', { ArgumentName: 'key' }, { code: 'ERR_OBJECT_KEY_INVALID' });
  }
  // A lone surrogate has no UTF-8 form: it would be stored as U+FFFD and read back as another key.
  if (!key.isWellFormed()) {
    throw new BucketError('InvalidArgument', 'Object keys must be valid UTF-8', { ArgumentName: 'key' }, { code: 'ERR_OBJECT_KEY_INVALID' });
  }
}
