// What a SigV4 check answers, shared by the parsers and the verifier.

/**
 * Why a request was refused, named as AWS names it. Services spell some differently: the caller
 * maps them (S3 says `SignatureDoesNotMatch` for `InvalidSignatureException`, Lambda adds
 * `Exception` to `MissingAuthenticationToken` and `IncompleteSignature`).
 */
export type SigV4ErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'AccessDenied'
  | 'XAmzContentSHA256Mismatch';

export type SigV4Outcome =
  | { ok: true; accessKeyId: string; region: string; service: string; presigned: boolean }
  | {
      ok: false;
      status: number;
      code: SigV4ErrorCode;
      message: string;
      /** On a signature mismatch: what the server signed, for the caller's debug log only. */
      canonicalRequest?: string;
      stringToSign?: string;
    };

export type SigV4Failure = Extract<SigV4Outcome, { ok: false }>;

export function fail(status: number, code: SigV4ErrorCode, message: string): SigV4Failure {
  return { ok: false, status, code, message };
}
