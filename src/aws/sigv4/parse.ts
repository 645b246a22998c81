import { formatAmzDate, parseAmzDate, type HeaderMap } from './canonical.ts';
import { fail, type SigV4Failure } from './outcome.ts';

// Reading what a request claims: who signed it, for which scope and time, over which headers.
// Messages follow AWS's own wording so that SDK users can search them.

/** What the signer claims, from the Authorization header or the presigned query. */
export interface SigV4Claim {
  ok: true;
  presigned: boolean;
  accessKeyId: string;
  /** `YYYYMMDD` of the credential scope. */
  date: string;
  region: string;
  service: string;
  /** Lower-case names, in the order the signer listed them. */
  signedHeaders: string[];
  signature: string;
  /** `YYYYMMDDTHHMMSSZ`, as signed. */
  amzDate: string;
  timeMs: number;
  /** Presigned only: seconds the URL stays valid. */
  expiresS?: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 60 * 60;

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

function readCredential(credential: string): Scope | SigV4Failure {
  const parts = credential.split('/');
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  if (parts.length !== 5 || accessKeyId === '') {
    return fail(400, 'IncompleteSignature', `Credential should be formed as ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request, not '${credential}'. `);
  }
  if (terminator !== 'aws4_request') {
    return fail(400, 'IncompleteSignature', `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'. `);
  }
  if (region === '') return fail(400, 'IncompleteSignature', 'Credential should be scoped to a valid region. ');
  if (service === '') return fail(400, 'IncompleteSignature', 'Credential should be scoped to a valid service. ');
  return { accessKeyId, date, region, service };
}

function readSignedHeaders(list: string): string[] | SigV4Failure {
  const names = list.split(';').map((name) => name.trim().toLowerCase());
  if (!names.includes('host')) {
    return fail(400, 'IncompleteSignature', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  return names;
}

function readTime(amzDate: string, scope: Scope): number | SigV4Failure {
  const timeMs = parseAmzDate(amzDate);
  if (timeMs === undefined) {
    return fail(400, 'IncompleteSignature', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  if (amzDate.slice(0, 8) !== scope.date) {
    return fail(403, 'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  }
  return timeMs;
}

/** The signing time of a header-signed request: `X-Amz-Date`, else the HTTP `Date`. */
function requestDate(headers: HeaderMap): string | undefined {
  const amzDate = headers['x-amz-date'];
  if (amzDate !== undefined) return Array.isArray(amzDate) ? amzDate[0] : amzDate;
  const date = headers['date'];
  if (date === undefined) return undefined;
  const ms = Date.parse(Array.isArray(date) ? (date[0] ?? '') : date);
  // An unparsable Date is reported as given, by the ISO-8601 check.
  return Number.isNaN(ms) ? String(date) : formatAmzDate(ms);
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` */
export function readAuthorization(authorization: string, headers: HeaderMap): SigV4Claim | SigV4Failure {
  const space = authorization.indexOf(' ');
  const algorithm = space === -1 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    return fail(400, 'IncompleteSignature', `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq !== -1) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const amzDate = requestDate(headers);
  const missing = [
    credential === undefined ? "Authorization header requires 'Credential' parameter. " : '',
    signature === undefined ? "Authorization header requires 'Signature' parameter. " : '',
    signedHeaders === undefined ? "Authorization header requires 'SignedHeaders' parameter. " : '',
    amzDate === undefined ? "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " : '',
  ].join('');
  if (credential === undefined || signature === undefined || signedHeaders === undefined || amzDate === undefined) {
    return fail(400, 'IncompleteSignature', `${missing}Authorization=${authorization}`);
  }
  const scope = readCredential(credential);
  if ('ok' in scope) return scope;
  const names = readSignedHeaders(signedHeaders);
  if (!Array.isArray(names)) return names;
  const timeMs = readTime(amzDate, scope);
  if (typeof timeMs !== 'number') return timeMs;
  return { ok: true, presigned: false, ...scope, signedHeaders: names, signature, amzDate, timeMs };
}

const PRESIGNED_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'];

/** `?X-Amz-Algorithm=…&X-Amz-Credential=…&X-Amz-Date=…&X-Amz-Expires=…&X-Amz-SignedHeaders=…&X-Amz-Signature=…` */
export function readPresigned(query: ReadonlyArray<readonly [string, string]>): SigV4Claim | SigV4Failure {
  const params = new Map<string, string>();
  for (const [name, value] of query) if (PRESIGNED_PARAMS.includes(name) && !params.has(name)) params.set(name, value);
  const algorithm = params.get('X-Amz-Algorithm');
  const credential = params.get('X-Amz-Credential');
  const signature = params.get('X-Amz-Signature');
  const amzDate = params.get('X-Amz-Date');
  const signedHeaders = params.get('X-Amz-SignedHeaders');
  const expires = params.get('X-Amz-Expires');
  if (algorithm === undefined || credential === undefined || signature === undefined || amzDate === undefined
    || signedHeaders === undefined || expires === undefined) {
    return fail(400, 'IncompleteSignature',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
  }
  if (algorithm !== ALGORITHM) {
    return fail(400, 'IncompleteSignature', `X-Amz-Algorithm only supports "${ALGORITHM}"`);
  }
  const expiresS = /^\d+$/.test(expires) ? Number(expires) : Number.NaN;
  if (!Number.isSafeInteger(expiresS)) return fail(400, 'IncompleteSignature', 'X-Amz-Expires should be a number');
  if (expiresS > MAX_PRESIGNED_EXPIRES_S) {
    return fail(400, 'IncompleteSignature', `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_EXPIRES_S}`);
  }
  const scope = readCredential(credential);
  if ('ok' in scope) return scope;
  const names = readSignedHeaders(signedHeaders);
  if (!Array.isArray(names)) return names;
  const timeMs = readTime(amzDate, scope);
  if (typeof timeMs !== 'number') return timeMs;
  return { ok: true, presigned: true, ...scope, signedHeaders: names, signature, amzDate, timeMs, expiresS };
}
