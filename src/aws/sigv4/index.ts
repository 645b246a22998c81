import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import {
  canonicalHeaders,
  canonicalQuery,
  canonicalUri,
  formatAmzDate,
  parseQuery,
  type HeaderMap,
} from './canonical.ts';
import { fail, type SigV4Failure, type SigV4Outcome } from './outcome.ts';
import { readAuthorization, readPresigned, type SigV4Claim } from './parse.ts';

export type { SigV4ErrorCode, SigV4Failure, SigV4Outcome } from './outcome.ts';
export type { HeaderMap } from './canonical.ts';

// AWS Signature Version 4 checked on the receiving side: the Authorization header form every SDK
// sends and the presigned-URL form (query parameters) S3 clients hand out.

/** A request as it arrived: the path and query exactly as on the wire, still percent-encoded. */
export interface SignedRequest {
  method: string;
  /** The path before `?`, as sent (still percent-encoded). */
  rawPath: string;
  /** The query after `?`, as sent, without the `?`. */
  rawQuery: string;
  /** `req.headers` (an `IncomingHttpHeaders`), or `req.headersDistinct` to keep repeated headers apart. */
  headers: HeaderMap;
  /**
   * The body: hashed when no `x-amz-content-sha256` is declared, else checked against a declared
   * hex digest. Leave it out only for a streamed body whose hash is declared.
   */
  body?: Buffer;
}

export interface SigV4Options {
  /** The secret access key of an access key id, or undefined when the key is unknown. */
  secretFor(accessKeyId: string): Promise<string | undefined>;
  /** The current time in ms. */
  now(): number;
  /** Allowed clock difference between client and server; default 15 min. */
  maxSkewMs?: number;
  /** Services this endpoint answers for (the credential scope's service); any when absent. */
  services?: readonly string[];
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const DEFAULT_MAX_SKEW_MS = 15 * 60_000;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

// The derived key changes once a day per secret, region and service; deriving it is four HMACs
// per request, so busy clients (a queue poller) reuse it.
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 1024;

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\n${date}\n${region}\n${service}`;
  const cached = signingKeys.get(id);
  if (cached !== undefined) return cached;
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  if (signingKeys.size >= MAX_SIGNING_KEYS) signingKeys.clear();
  signingKeys.set(id, key);
  return key;
}

function headerValue(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function minutes(ms: number): string {
  return `${Math.round((ms / 60_000) * 100) / 100} min.`;
}

/** Header auth: the request must be signed within the allowed skew of now, either way. */
function checkSkew(claim: SigV4Claim, now: number, maxSkewMs: number): SigV4Failure | undefined {
  const nowText = formatAmzDate(now);
  if (claim.timeMs < now - maxSkewMs) {
    return fail(403, 'InvalidSignatureException',
      `Signature expired: ${claim.amzDate} is now earlier than ${formatAmzDate(now - maxSkewMs)} (${nowText} - ${minutes(maxSkewMs)})`);
  }
  if (claim.timeMs > now + maxSkewMs) {
    return fail(403, 'InvalidSignatureException',
      `Signature not yet current: ${claim.amzDate} is still later than ${formatAmzDate(now + maxSkewMs)} (${nowText} + ${minutes(maxSkewMs)})`);
  }
  return undefined;
}

/** Presigned URLs: valid from their date (less the skew) for X-Amz-Expires seconds. */
function checkPresignedWindow(claim: SigV4Claim, now: number, maxSkewMs: number): SigV4Failure | undefined {
  if (claim.timeMs > now + maxSkewMs) return fail(403, 'AccessDenied', 'Request is not valid yet');
  if (now > claim.timeMs + (claim.expiresS ?? 0) * 1000) return fail(403, 'AccessDenied', 'Request has expired');
  return undefined;
}

/** The payload hash the client signed: declared (S3 style) or the body's own. */
function payloadHash(request: SignedRequest, claim: SigV4Claim, query: Array<[string, string]>): { hash: string; declared: boolean } {
  const declared =
    (claim.presigned ? query.find(([name]) => name === 'X-Amz-Content-Sha256')?.[1] : undefined) ??
    headerValue(request.headers, 'x-amz-content-sha256');
  if (declared !== undefined) return { hash: declared, declared: true };
  // S3 presigned URLs never cover the body (the SDKs sign UNSIGNED-PAYLOAD without saying so).
  if (claim.presigned && claim.service === 's3') return { hash: 'UNSIGNED-PAYLOAD', declared: false };
  return { hash: sha256Hex(request.body ?? Buffer.alloc(0)), declared: false };
}

function claimOf(request: SignedRequest, query: Array<[string, string]>): SigV4Claim | SigV4Failure {
  const authorization = headerValue(request.headers, 'authorization');
  const presigned = query.some(([name]) => name === 'X-Amz-Algorithm' || name === 'X-Amz-Signature');
  if (authorization !== undefined && presigned) {
    return fail(400, 'IncompleteSignature',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified');
  }
  if (authorization !== undefined) return readAuthorization(authorization, request.headers);
  if (presigned) return readPresigned(query);
  return fail(403, 'MissingAuthenticationToken', 'Missing Authentication Token');
}

/**
 * Checks a request's AWS Signature Version 4 (Authorization header or presigned query): the
 * credential scope, the clock (or the presigned URL's expiry), the access key, then the signature
 * over the canonical request. Never throws for a bad request; `secretFor` may throw.
 */
export async function verifySigV4(request: SignedRequest, options: SigV4Options): Promise<SigV4Outcome> {
  const query = parseQuery(request.rawQuery);
  const claim = claimOf(request, query);
  if (!claim.ok) return claim;
  if (options.services !== undefined && !options.services.includes(claim.service)) {
    return fail(400, 'IncompleteSignature', `Credential should be scoped to correct service: '${options.services[0]}'. `);
  }
  const now = options.now();
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const late = claim.presigned ? checkPresignedWindow(claim, now, maxSkewMs) : checkSkew(claim, now, maxSkewMs);
  if (late !== undefined) return late;

  const secret = await options.secretFor(claim.accessKeyId);
  if (secret === undefined) {
    return fail(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  const { hash, declared } = payloadHash(request, claim, query);
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.rawPath, claim.service),
    canonicalQuery(query, claim.presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders(request.headers, claim.signedHeaders),
    claim.signedHeaders.join(';'),
    hash,
  ].join('\n');
  const scope = `${claim.date}/${claim.region}/${claim.service}/aws4_request`;
  const stringToSign = [ALGORITHM, claim.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const expected = createHmac('sha256', signingKey(secret, claim.date, claim.region, claim.service))
    .update(stringToSign)
    .digest();
  const given = HEX_SHA256.test(claim.signature) ? Buffer.from(claim.signature, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ...fail(403, 'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'),
      canonicalRequest,
      stringToSign,
    };
  }
  // The signature covers the declared hash; the body must then match it.
  if (declared && HEX_SHA256.test(hash) && request.body !== undefined && sha256Hex(request.body) !== hash.toLowerCase()) {
    return fail(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return { ok: true, accessKeyId: claim.accessKeyId, region: claim.region, service: claim.service, presigned: claim.presigned };
}
