// Who is calling the AWS endpoint: one check shared by the S3 and SQS handlers (the Invoke API
// has its own in src/aws/lambda/authenticate.ts, same verifier). The server answers with the app
// of the access key that signed the request; `laambda dev` serves one app and accepts any key,
// as every local AWS emulator does, so unmodified SDK code with any credentials works there.
import { verifySigV4, type SignedRequest, type SigV4Failure } from './sigv4/index.ts';

export type AwsCaller = {
  ok: true;
  /** The app whose buckets and queues the caller may use. */
  appId: string;
  accessKeyId: string;
  presigned: boolean;
};

export type AwsAuthOutcome = AwsCaller | SigV4Failure;

/**
 * Checks a request for one service (`s3`, `sqs`). Leave `request.body` out for a streamed body:
 * the handler then checks the declared `x-amz-content-sha256` itself while reading.
 */
export type AwsAuthenticate = (request: SignedRequest, service: string) => Promise<AwsAuthOutcome>;

export interface AwsKeyCredential {
  secretAccessKey: string;
  appId: string;
}

/** SigV4 with the platform's per-app access keys. */
export function createKeyAuthenticate(options: {
  credentialFor(accessKeyId: string): Promise<AwsKeyCredential | undefined>;
  now(): number;
  maxSkewMs?: number;
}): AwsAuthenticate {
  return async (request, service) => {
    let credential: AwsKeyCredential | undefined;
    const outcome = await verifySigV4(request, {
      secretFor: async (accessKeyId) => {
        credential = await options.credentialFor(accessKeyId);
        return credential?.secretAccessKey;
      },
      now: options.now,
      services: [service],
      ...(options.maxSkewMs === undefined ? {} : { maxSkewMs: options.maxSkewMs }),
    });
    if (!outcome.ok) return outcome;
    if (credential === undefined) throw new Error('SigV4 accepted a request without looking its key up');
    return { ok: true, appId: credential.appId, accessKeyId: outcome.accessKeyId, presigned: outcome.presigned };
  };
}

/** `laambda dev`: every request (signed with any key, or not at all) is the one app's. */
export function createOpenAuthenticate(appId: string): AwsAuthenticate {
  return async (request) => {
    const authorization = request.headers.authorization;
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    const keyId = /Credential=([^/]+)\//.exec(header ?? '')?.[1] ?? /X-Amz-Credential=([^%/&]+)/.exec(request.rawQuery)?.[1];
    return { ok: true, appId, accessKeyId: keyId ?? 'anonymous', presigned: request.rawQuery.includes('X-Amz-Signature=') };
  };
}
