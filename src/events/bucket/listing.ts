// ListObjects: keys in UTF-8 byte order, rolled up into CommonPrefixes at the delimiter, paged
// by an opaque continuation token. A rolled-up prefix is skipped in one query, not key by key.
import { type BucketStore, prefixEnd, type StoredObject } from '../../core/buckets.ts';
import { BucketError } from './errors.ts';
import type { ListObjectsOptions, ObjectListing } from './types.ts';

const BATCH = 1000;

type Position = { after?: string; from?: string; done?: boolean };

interface Token {
  /** List strictly after this key. */
  after: string;
  /** The last entry was this common prefix: skip every key under it. */
  prefix?: string;
}

function encodeToken(token: Token): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeToken(text: string): Token {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
    if (typeof token.after === 'string') return token;
  } catch {
    // Falls through to the S3 error below.
  }
  throw new BucketError('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
}

export async function listObjects(store: BucketStore, appId: string, bucket: string, options: ListObjectsOptions): Promise<ObjectListing> {
  const maxKeys = options.maxKeys ?? 1000;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new BucketError('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys' });
  }
  const limit = Math.min(maxKeys, 1000);
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter || undefined;
  const token = options.continuationToken !== undefined ? decodeToken(options.continuationToken) : undefined;

  const startAfter = token?.after ?? options.startAfter;
  let position: Position = token?.prefix !== undefined ? skipPast(token.prefix) : startAfter === undefined ? {} : { after: startAfter };

  const contents: StoredObject[] = [];
  const commonPrefixes: string[] = [];
  let last: Token | undefined;
  let isTruncated = false;
  // The row after a full page answers whether anything follows it.
  scan: while (!position.done) {
    const { after, from } = position;
    const rows = await store.listObjects(appId, bucket, {
      prefix,
      ...(after === undefined ? {} : { after }),
      ...(from === undefined ? {} : { from }),
      limit: BATCH,
    });
    if (rows.length === 0) break;
    for (const row of rows) {
      const rolled = delimiter === undefined ? undefined : rollUp(row.key, prefix, delimiter);
      if (contents.length + commonPrefixes.length === limit) {
        isTruncated = true;
        break scan;
      }
      if (rolled !== undefined) {
        commonPrefixes.push(rolled);
        last = { after: row.key, prefix: rolled };
        position = skipPast(rolled);
        continue scan;
      }
      contents.push(row);
      last = { after: row.key };
      position = { after: row.key };
    }
    if (rows.length < BATCH) break;
  }
  return {
    contents,
    commonPrefixes,
    isTruncated,
    nextContinuationToken: isTruncated && last ? encodeToken(last) : undefined,
    lastListed: last?.prefix ?? last?.after,
  };
}

/** The common prefix a key rolls up into, if the delimiter occurs after the listed prefix. */
function rollUp(key: string, prefix: string, delimiter: string): string | undefined {
  const at = key.indexOf(delimiter, prefix.length);
  return at === -1 ? undefined : key.slice(0, at + delimiter.length);
}

/** Where listing resumes once every key under a rolled-up prefix is skipped. */
function skipPast(rolled: string): Position {
  const end = prefixEnd(rolled);
  return end === undefined ? { done: true } : { from: end };
}
