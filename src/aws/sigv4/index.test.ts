// verifySigV4 against requests signed by the AWS SDK's own signer (@smithy/signature-v4) and sent
// over a real socket, so the path, query and headers are checked as Node receives them.
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { buildQueryString, escapeUriPath, HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';

import { verifySigV4, type SignedRequest, type SigV4Options, type SigV4Outcome } from './index.ts';

/** The `Checksum` the signer wants, over node:crypto (the SDK's own sha256 package is not installed). */
class Sha256 {
  readonly #secret: string | Buffer | undefined;
  #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#secret =
      secret === undefined || typeof secret === 'string'
        ? secret
        : ArrayBuffer.isView(secret)
          ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
          : Buffer.from(secret);
    this.#hash = this.#fresh();
  }
  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
  update(data: Uint8Array): void {
    this.#hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
}

const KEY = { accessKeyId: 'AKIDLAAMBDATEST', secretAccessKey: 'test/secret+key=value' };
const SIGNED_AT = Date.UTC(2026, 2, 14, 9, 26, 53);
const options: SigV4Options = {
  secretFor: async (id) => (id === KEY.accessKeyId ? KEY.secretAccessKey : undefined),
  now: () => SIGNED_AT + 1_000,
};

let server: Server;
let port = 0;
const received: Array<(request: SignedRequest) => void> = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const captured: SignedRequest = {
        method: req.method ?? 'GET',
        rawPath: q === -1 ? url : url.slice(0, q),
        rawQuery: q === -1 ? '' : url.slice(q + 1),
        headers: req.headersDistinct,
        body: Buffer.concat(chunks),
      };
      received.shift()?.(captured);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Unsigned {
  method?: string;
  /** Already encoded, as the SDKs put it on the wire. */
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

interface SendOptions {
  service: string;
  presign?: { expiresIn: number };
  secret?: string;
  /** Send x-amz-content-sha256 (default, as the JS SDK does) or let the server hash the body. */
  declareHash?: boolean;
  /** Changes the request after signing, before sending. */
  tamper?: (wire: { path: string; headers: Record<string, string>; body: string | undefined }) => void;
}

/** Signs like the SDK for `service`, sends it, and returns the request as the server got it. */
async function signAndSend(unsigned: Unsigned, sendOptions: SendOptions): Promise<SignedRequest> {
  const signer = new SignatureV4({
    service: sendOptions.service,
    region: 'us-east-1',
    credentials: { ...KEY, secretAccessKey: sendOptions.secret ?? KEY.secretAccessKey },
    sha256: Sha256,
    uriEscapePath: sendOptions.service !== 's3',
    // The JS SDK declares x-amz-content-sha256 for every service; botocore for S3 only.
    applyChecksum: sendOptions.declareHash ?? true,
  });
  const request = new HttpRequest({
    method: unsigned.method ?? 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: unsigned.path,
    query: unsigned.query ?? {},
    headers: { host: `127.0.0.1:${port}`, ...unsigned.headers },
    body: unsigned.body,
  });
  const signed = sendOptions.presign
    ? await signer.presign(request, { signingDate: new Date(SIGNED_AT), expiresIn: sendOptions.presign.expiresIn })
    : await signer.sign(request, { signingDate: new Date(SIGNED_AT) });
  const query = buildQueryString(signed.query ?? {});
  const wire = {
    path: `${signed.path}${query === '' ? '' : `?${query}`}`,
    headers: { ...signed.headers } as Record<string, string>,
    body: unsigned.body,
  };
  sendOptions.tamper?.(wire);
  const arrived = new Promise<SignedRequest>((resolve) => received.push(resolve));
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: signed.method, path: wire.path, headers: wire.headers }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(wire.body);
  });
  return arrived;
}

function assertOk(outcome: SigV4Outcome, service: string, presigned = false): void {
  assert.deepEqual(outcome, { ok: true, accessKeyId: KEY.accessKeyId, region: 'us-east-1', service, presigned });
}

function assertFailure(outcome: SigV4Outcome, status: number, code: string, message?: RegExp): void {
  assert.equal(outcome.ok, false, 'expected a refusal');
  if (outcome.ok) return;
  assert.equal(outcome.code, code, outcome.message);
  assert.equal(outcome.status, status);
  if (message !== undefined) assert.match(outcome.message, message);
}

const INVOKE = { path: '/2015-03-31/functions/shop-orders/invocations', headers: { 'content-type': 'application/json' }, body: '{"id":1}' };

describe('verifySigV4 with header auth', () => {
  it('accepts a Lambda Invoke signed by the SDK signer', async () => {
    const req = await signAndSend({ ...INVOKE, headers: { ...INVOKE.headers, 'x-amz-invocation-type': 'RequestResponse' } }, { service: 'lambda' });
    assertOk(await verifySigV4(req, options), 'lambda');
  });

  it('double-encodes path segments for Lambda: spaces, unicode and an ARN with colons', async () => {
    const name = encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:my fn-ü:3');
    const req = await signAndSend({ ...INVOKE, path: `/2015-03-31/functions/${name}/invocations` }, { service: 'lambda' });
    assert.match(req.rawPath, /%3A/);
    assertOk(await verifySigV4(req, options), 'lambda');
  });

  it('sorts a query with repeated keys and encoded values', async () => {
    const query = { Qualifier: '3', tag: ['b', 'a c', 'ä'], 'x y': 'a/b=c&d', empty: '' };
    const req = await signAndSend({ ...INVOKE, query }, { service: 'lambda' });
    assertOk(await verifySigV4(req, options), 'lambda');
  });

  it('signs the S3 path once, with no normalisation, and honours x-amz-content-sha256', async () => {
    const key = escapeUriPath('/bucket/photos/My Trip ü/./a+b (1)!.jpg');
    const body = 'the object';
    const sha = createHash('sha256').update(body).digest('hex');
    const req = await signAndSend({ method: 'PUT', path: key, headers: { 'x-amz-content-sha256': sha }, body }, { service: 's3' });
    assert.match(req.rawPath, /\/\.\//);
    assertOk(await verifySigV4(req, options), 's3');
  });

  it('accepts UNSIGNED-PAYLOAD and STREAMING- declarations as declared', async () => {
    for (const declared of ['UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER']) {
      const req = await signAndSend(
        { method: 'PUT', path: '/bucket/k', headers: { 'x-amz-content-sha256': declared }, body: 'anything' },
        { service: 's3' },
      );
      assertOk(await verifySigV4(req, options), 's3');
    }
  });

  it('refuses a request with no signature as MissingAuthenticationToken', async () => {
    const outcome = await verifySigV4({ method: 'POST', rawPath: INVOKE.path, rawQuery: '', headers: { host: 'x' } }, options);
    assertFailure(outcome, 403, 'MissingAuthenticationToken', /^Missing Authentication Token$/);
  });

  it('refuses an unknown access key as UnrecognizedClientException', async () => {
    const req = await signAndSend(INVOKE, { service: 'lambda' });
    const outcome = await verifySigV4(req, { ...options, secretFor: async () => undefined });
    assertFailure(outcome, 403, 'UnrecognizedClientException', /security token included in the request is invalid/);
  });

  it('refuses a wrong secret as InvalidSignatureException and says what it signed', async () => {
    const req = await signAndSend(INVOKE, { service: 'lambda', secret: 'not the secret' });
    const outcome = await verifySigV4(req, options);
    assertFailure(outcome, 403, 'InvalidSignatureException', /^The request signature we calculated does not match/);
    assert.ok(!outcome.ok && outcome.canonicalRequest?.startsWith('POST\n/2015-03-31/functions/shop-orders/invocations\n'));
  });

  it('accepts a request that declares no payload hash (botocore outside S3): the server hashes the body', async () => {
    const req = await signAndSend(INVOKE, { service: 'lambda', declareHash: false });
    assert.equal(req.headers['x-amz-content-sha256'], undefined);
    assertOk(await verifySigV4(req, options), 'lambda');
  });

  it('refuses a tampered body when no hash is declared', async () => {
    const req = await signAndSend(INVOKE, { service: 'lambda', declareHash: false, tamper: (wire) => void (wire.body = '{"id":2}') });
    assertFailure(await verifySigV4(req, options), 403, 'InvalidSignatureException');
  });

  it('refuses a body that does not match its declared sha256', async () => {
    const req = await signAndSend(INVOKE, { service: 'lambda', tamper: (wire) => void (wire.body = '{"id":2}') });
    assertFailure(await verifySigV4(req, options), 400, 'XAmzContentSHA256Mismatch');
  });

  it('refuses a tampered signed header', async () => {
    const req = await signAndSend(
      { ...INVOKE, headers: { ...INVOKE.headers, 'x-amz-invocation-type': 'RequestResponse' } },
      { service: 'lambda', tamper: (wire) => void (wire.headers['x-amz-invocation-type'] = 'Event') },
    );
    assertFailure(await verifySigV4(req, options), 403, 'InvalidSignatureException');
  });

  it('refuses a tampered path', async () => {
    const req = await signAndSend(INVOKE, { service: 'lambda', tamper: (wire) => void (wire.path = wire.path.replace('shop-orders', 'shop-admin')) });
    assertFailure(await verifySigV4(req, options), 403, 'InvalidSignatureException');
  });

  it('refuses a request signed more than 15 minutes ago, in AWS words', async () => {
    const req = await signAndSend(INVOKE, { service: 'lambda' });
    const outcome = await verifySigV4(req, { ...options, now: () => SIGNED_AT + 16 * 60_000 });
    assertFailure(outcome, 403, 'InvalidSignatureException',
      /^Signature expired: 20260314T092653Z is now earlier than 20260314T092753Z \(20260314T094253Z - 15 min\.\)$/);
  });

  it('refuses a request signed more than the allowed skew ahead', async () => {
    const req = await signAndSend(INVOKE, { service: 'lambda' });
    const outcome = await verifySigV4(req, { ...options, now: () => SIGNED_AT - 6 * 60_000, maxSkewMs: 5 * 60_000 });
    assertFailure(outcome, 403, 'InvalidSignatureException', /^Signature not yet current: 20260314T092653Z is still later than .* \+ 5 min\.\)$/);
  });

  it('refuses a signature for another service when told which it serves', async () => {
    const req = await signAndSend(INVOKE, { service: 'sqs' });
    assertFailure(await verifySigV4(req, { ...options, services: ['lambda'] }), 400, 'IncompleteSignature', /correct service: 'lambda'/);
  });

  it('names every missing part of an incomplete Authorization header', async () => {
    const outcome = await verifySigV4(
      { method: 'POST', rawPath: '/', rawQuery: '', headers: { host: 'x', authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260314/us-east-1/lambda/aws4_request' } },
      options,
    );
    assertFailure(outcome, 400, 'IncompleteSignature', /requires 'Signature' parameter\. .*requires 'SignedHeaders' parameter\. .*'X-Amz-Date' or a 'Date' header/);
  });

  it('requires the host header to be signed', async () => {
    const headers = {
      host: 'x',
      'x-amz-date': '20260314T092653Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/20260314/us-east-1/lambda/aws4_request, SignedHeaders=x-amz-date, Signature=${'0'.repeat(64)}`,
    };
    assertFailure(await verifySigV4({ method: 'GET', rawPath: '/', rawQuery: '', headers }, options), 400, 'IncompleteSignature', /'Host'/);
  });
});

describe('verifySigV4 with presigned URLs', () => {
  /** As @aws-sdk/s3-request-presigner does it: the payload is declared unsigned. */
  const presignedGet = (expiresIn: number) =>
    signAndSend(
      { method: 'GET', path: escapeUriPath('/bucket/reports/Q1 ü.pdf'), query: { 'response-content-type': 'application/pdf' }, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
      { service: 's3', presign: { expiresIn } },
    );

  it('accepts an S3 presigned GET within its expiry', async () => {
    const req = await presignedGet(900);
    assert.match(req.rawQuery, /X-Amz-Signature=/);
    assert.equal(req.headers.authorization, undefined);
    assertOk(await verifySigV4(req, { ...options, now: () => SIGNED_AT + 899_000 }), 's3', true);
  });

  it('refuses an expired presigned URL with AccessDenied', async () => {
    const req = await presignedGet(900);
    assertFailure(await verifySigV4(req, { ...options, now: () => SIGNED_AT + 901_000 }), 403, 'AccessDenied', /^Request has expired$/);
  });

  it('refuses a presigned URL whose query was changed', async () => {
    const req = await presignedGet(900);
    req.rawQuery = req.rawQuery.replace('application%2Fpdf', 'text%2Fhtml');
    assertFailure(await verifySigV4(req, options), 403, 'InvalidSignatureException');
  });

  it('accepts a presigned request for a non-S3 service (payload hashed)', async () => {
    const req = await signAndSend({ ...INVOKE, body: '' }, { service: 'lambda', presign: { expiresIn: 60 } });
    assertOk(await verifySigV4(req, options), 'lambda', true);
  });

  it('asks for every presigned parameter when one is missing', async () => {
    const req = await presignedGet(900);
    req.rawQuery = req.rawQuery.replace(/X-Amz-Expires=\d+&?/, '');
    assertFailure(await verifySigV4(req, options), 400, 'IncompleteSignature', /requires the X-Amz-Algorithm, .* and X-Amz-Expires parameters/);
  });
});
