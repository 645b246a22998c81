// Range requests and conditional requests on objects, decided as S3 decides them (RFC 9110 §13).
import { BucketError } from './errors.ts';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * `bytes=a-b`, `bytes=a-`, `bytes=-n`. A header S3 cannot read (several ranges, other units) is
 * ignored and the whole object served, as S3 does; a range past the end is InvalidRange.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [, first = '', last = ''] = match;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw invalidRange(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return undefined;
  }
  if (start >= size) throw invalidRange(size);
  return { start, end };
}

function invalidRange(size: number): BucketError {
  return new BucketError('InvalidRange', 'The requested range is not satisfiable', { ActualObjectSize: size });
}

export interface Conditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

function etagMatches(list: string, eTag: string): boolean {
  const bare = eTag.replace(/^"|"$/g, '');
  return list.split(',').some((item) => {
    const candidate = item.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return candidate === '*' || candidate === bare;
  });
}

function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Throws PreconditionFailed (412) or NotModified (304). If-Match beats If-Unmodified-Since and
 * If-None-Match beats If-Modified-Since; dates compare at whole seconds, as HTTP dates carry them.
 * `reading` is false for writes (copy sources), where a failed If-None-Match is 412, not 304.
 */
export function checkConditions(conditions: Conditions, object: { eTag: string; lastModified: number }, reading = true): void {
  const modified = Math.floor(object.lastModified / 1000) * 1000;
  if (conditions.ifMatch !== undefined) {
    if (!etagMatches(conditions.ifMatch, object.eTag)) throw preconditionFailed('If-Match');
  } else {
    const since = httpDate(conditions.ifUnmodifiedSince);
    if (since !== undefined && modified > since) throw preconditionFailed('If-Unmodified-Since');
  }
  if (conditions.ifNoneMatch !== undefined) {
    if (etagMatches(conditions.ifNoneMatch, object.eTag)) {
      if (reading) throw new BucketError('NotModified', 'Not Modified');
      throw preconditionFailed('If-None-Match');
    }
  } else {
    const since = httpDate(conditions.ifModifiedSince);
    if (since !== undefined && modified <= since) {
      if (reading) throw new BucketError('NotModified', 'Not Modified');
      throw preconditionFailed('If-Modified-Since');
    }
  }
}

export function preconditionFailed(condition: string): BucketError {
  return new BucketError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
}
