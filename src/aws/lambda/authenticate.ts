import type { IncomingMessage } from 'node:http';

import { verifySigV4, type SigV4ErrorCode } from '../sigv4/index.ts';

/** What an Invoke API authenticator answers: the caller's scope (app), or the AWS error to send. */
export type InvokeAuthOutcome = { ok: true; scope: string } | { ok: false; status: number; type: string; message: string };

export interface InvokeCredential {
  secretAccessKey: string;
  /** What the key may invoke: the app name on the platform. */
  scope: string;
}

export interface SigV4AuthenticateOptions {
  /** The secret and scope of an access key id, or undefined when the key is unknown. */
  credentialFor(accessKeyId: string): Promise<InvokeCredential | undefined>;
  now(): number;
  /** Allowed client clock skew; default 15 min. */
  maxSkewMs?: number;
}

/** The exception names the Lambda API uses for each SigV4 refusal. */
const LAMBDA_ERROR_TYPES: Record<SigV4ErrorCode, string> = {
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  IncompleteSignature: 'IncompleteSignatureException',
  UnrecognizedClientException: 'UnrecognizedClientException',
  InvalidSignatureException: 'InvalidSignatureException',
  AccessDenied: 'AccessDeniedException',
  // Lambda hashes the body itself: a declared hash that does not match is a bad signature.
  XAmzContentSHA256Mismatch: 'InvalidSignatureException',
};

/**
 * An Invoke API `authenticate` that checks the request's SigV4 signature (service `lambda`) and
 * answers the scope of the access key that signed it.
 */
export function createSigV4Authenticate(
  options: SigV4AuthenticateOptions,
): (req: IncomingMessage, body: Buffer) => Promise<InvokeAuthOutcome> {
  return async (req, body) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let credential: InvokeCredential | undefined;
    const outcome = await verifySigV4(
      {
        method: req.method ?? 'POST',
        rawPath: q === -1 ? url : url.slice(0, q),
        rawQuery: q === -1 ? '' : url.slice(q + 1),
        headers: req.headersDistinct,
        body,
      },
      {
        secretFor: async (accessKeyId) => {
          credential = await options.credentialFor(accessKeyId);
          return credential?.secretAccessKey;
        },
        now: options.now,
        services: ['lambda'],
        ...(options.maxSkewMs === undefined ? {} : { maxSkewMs: options.maxSkewMs }),
      },
    );
    if (outcome.ok && credential !== undefined) return { ok: true, scope: credential.scope };
    if (outcome.ok) throw new Error('SigV4 accepted a request without looking its key up');
    const status = outcome.code === 'XAmzContentSHA256Mismatch' ? 403 : outcome.status;
    return { ok: false, status, type: LAMBDA_ERROR_TYPES[outcome.code], message: outcome.message };
  };
}
