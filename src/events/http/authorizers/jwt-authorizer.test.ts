import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { JwtAuthorizerConfig } from '../../../core/app.ts';
import { LaambdaError } from '../../../core/errors.ts';
import { createAuthorizers } from './index.ts';
import { bodyOf, fakeClock, headerOf, makeRequest } from './test-support.ts';
import type { AuthorizerDecision } from './types.ts';

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'my-api';

interface Signer {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signer(alg: 'RS256' | 'ES256', kid: string): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const clock = fakeClock(Date.now());
const nowS = () => Math.floor(clock.now() / 1000);

async function sign(key: Signer, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ aud: AUDIENCE, ...claims })
    .setProtectedHeader({ alg: key.jwk.alg!, kid: key.jwk.kid, ...header })
    .setIssuer(ISSUER)
    .setIssuedAt(nowS())
    .setExpirationTime(nowS() + 3600)
    .sign(key.privateKey);
}

function unauthorizedWith(decision: AuthorizerDecision, description: RegExp): void {
  assert.equal(decision.allow, false);
  if (decision.allow) return;
  assert.equal(decision.response.statusCode, 401);
  assert.deepEqual(bodyOf(decision.response), { message: 'Unauthorized' });
  assert.match(headerOf(decision.response, 'www-authenticate') ?? '', description);
}

describe('JWT authorizer', () => {
  let rsa: Signer;
  let ec: Signer;
  let server: Server;
  let baseUrl: string;
  let appDir: string;

  before(async () => {
    rsa = await signer('RS256', 'rsa-1');
    ec = await signer('ES256', 'ec-1');
    server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
      } else {
        res.writeHead(500).end('down');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    appDir = await mkdtemp(join(tmpdir(), 'laambda-jwt-'));
  });

  after(async () => {
    server.close();
    await rm(appDir, { recursive: true, force: true });
  });

  function authorizer(overrides: Partial<JwtAuthorizerConfig> = {}) {
    const config: JwtAuthorizerConfig = {
      type: 'jwt',
      issuer: ISSUER,
      audience: [AUDIENCE, 'other-api'],
      jwksUrl: `${baseUrl}/jwks.json`,
      identitySource: '$request.header.Authorization',
      ...overrides,
    };
    const authorizers = createAuthorizers({ jwt: config }, { invoke: () => Promise.reject(new Error('unused')), clock, appDir });
    return (authorization: string | undefined, options: { scopes?: string[]; routeVersion?: '1.0' | '2.0' } = {}) =>
      authorizers.get('jwt')!.authorize({
        request: makeRequest({ headers: authorization === undefined ? [] : [['Authorization', authorization]] }),
        payloadVersion: options.routeVersion ?? '2.0',
        ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      });
  }

  it('allows a valid token from the JWKS URL and passes its claims stringified to a 2.0 route', async () => {
    const token = await sign(rsa, { sub: 'u1', groups: ['admin', 'dev'], address: { city: 'Oslo' }, verified: true, gone: null });
    const decision = await authorizer()(`Bearer ${token}`);
    assert.ok(decision.allow);
    assert.deepEqual(decision.context, {
      jwt: {
        claims: {
          aud: AUDIENCE,
          sub: 'u1',
          groups: '[admin dev]',
          address: '{"city":"Oslo"}',
          verified: 'true',
          iss: ISSUER,
          iat: String(nowS()),
          exp: String(nowS() + 3600),
        },
        scopes: null,
      },
    });
  });

  it('passes {claims, scopes} to a 1.0 route and accepts a token without the Bearer prefix', async () => {
    const decision = await authorizer()(await sign(ec, { sub: 'u2' }), { routeVersion: '1.0' });
    assert.ok(decision.allow);
    assert.equal((decision.context.claims as Record<string, string>).sub, 'u2');
    assert.equal(decision.context.scopes, null);
  });

  it('answers 401 with a bare Bearer challenge when the token is missing', async () => {
    const decision = await authorizer()(undefined);
    assert.ok(!decision.allow);
    assert.equal(decision.response.statusCode, 401);
    assert.equal(headerOf(decision.response, 'www-authenticate'), 'Bearer');
  });

  it('rejects an expired token', async () => {
    const token = await new SignJWT({ aud: AUDIENCE })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setExpirationTime(nowS() - 60)
      .sign(rsa.privateKey);
    unauthorizedWith(await authorizer()(`Bearer ${token}`), /error="invalid_token" error_description="the token has expired"/);
  });

  it('rejects a token that is not valid yet, and one without exp', async () => {
    unauthorizedWith(await authorizer()(await sign(rsa, { nbf: nowS() + 600 })), /not valid yet/);
    const noExp = await new SignJWT({ aud: AUDIENCE }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuer(ISSUER).sign(rsa.privateKey);
    unauthorizedWith(await authorizer()(noExp), /expiration/);
  });

  it('rejects a token from another issuer', async () => {
    const token = await new SignJWT({ aud: AUDIENCE })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer('https://evil.example.com')
      .setExpirationTime(nowS() + 60)
      .sign(rsa.privateKey);
    unauthorizedWith(await authorizer()(token), /the token does not have a valid issuer/);
  });

  it('rejects a token for another audience, checking client_id only when aud is absent', async () => {
    const check = authorizer();
    unauthorizedWith(await check(await sign(rsa, { aud: 'someone-else' })), /error_description="the token does not have a valid audience"/);
    unauthorizedWith(await check(await sign(rsa, { aud: ['x', 'y'], client_id: AUDIENCE })), /valid audience/);
    assert.ok((await check(await sign(rsa, { aud: ['x', 'other-api'] }))).allow);
    assert.ok((await check(await sign(rsa, { aud: undefined, client_id: AUDIENCE }))).allow);
  });

  it('rejects a token signed by another key, one with an unknown kid, one without kid and an HS256 token', async () => {
    const impostor = await signer('RS256', 'rsa-1');
    unauthorizedWith(await authorizer()(await sign(impostor)), /signature is invalid/);
    unauthorizedWith(await authorizer()(await sign(rsa, {}, { kid: 'rsa-9' })), /kid does not match/);
    unauthorizedWith(await authorizer()(await sign(rsa, {}, { kid: undefined })), /does not have a kid/);
    const hs = await new SignJWT({ aud: AUDIENCE })
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setExpirationTime(nowS() + 60)
      .sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'));
    unauthorizedWith(await authorizer()(hs), /supported algorithm/);
    unauthorizedWith(await authorizer()('Bearer not.a.jwt'), /malformed/);
  });

  it('answers 403 Forbidden when the token has none of the route scopes', async () => {
    const decision = await authorizer()(await sign(rsa, { scope: 'write admin' }), { scopes: ['read'] });
    assert.ok(!decision.allow);
    assert.equal(decision.response.statusCode, 403);
    assert.deepEqual(bodyOf(decision.response), { message: 'Forbidden' });
    assert.match(headerOf(decision.response, 'www-authenticate') ?? '', /error="insufficient_scope"/);
  });

  it('allows a token with one of the route scopes, from scope or scp, and lists them', async () => {
    const fromScope = await authorizer()(await sign(rsa, { scope: 'read write' }), { scopes: ['read', 'other'] });
    assert.ok(fromScope.allow);
    assert.deepEqual((fromScope.context.jwt as { scopes: string[] }).scopes, ['read', 'write']);
    const fromScp = await authorizer()(await sign(rsa, { scp: ['other'] }), { scopes: ['read', 'other'], routeVersion: '1.0' });
    assert.ok(fromScp.allow);
    assert.deepEqual(fromScp.context.scopes, ['other']);
  });

  it('reads the JWKS from a file in the app directory and reloads it when the file changes', async () => {
    await writeFile(join(appDir, 'jwks.json'), JSON.stringify({ keys: [rsa.jwk] }));
    const check = authorizer({ jwksUrl: undefined, jwksFile: 'jwks.json' });
    assert.ok((await check(await sign(rsa))).allow);
    unauthorizedWith(await check(await sign(ec)), /kid does not match/);
    await writeFile(join(appDir, 'jwks.json'), JSON.stringify({ keys: [ec.jwk] }));
    assert.ok((await check(await sign(ec))).allow);
    unauthorizedWith(await check(await sign(rsa)), /kid does not match/);
  });

  it('answers 500 when the JWKS cannot be fetched or read', async () => {
    for (const check of [authorizer({ jwksUrl: `${baseUrl}/broken` }), authorizer({ jwksUrl: undefined, jwksFile: 'missing.json' })]) {
      const decision = await check(await sign(rsa));
      assert.ok(!decision.allow);
      assert.equal(decision.response.statusCode, 500);
      assert.deepEqual(bodyOf(decision.response), { message: 'Internal Server Error' });
    }
  });

  it('refuses a configuration with both or neither of jwksUrl and jwksFile', () => {
    const invalid = (error: unknown) => error instanceof LaambdaError && error.code === 'ERR_HTTP_AUTHORIZER_INVALID';
    assert.throws(() => authorizer({ jwksFile: 'jwks.json' }), invalid);
    assert.throws(() => authorizer({ jwksUrl: undefined }), invalid);
    assert.throws(() => authorizer({ jwksUrl: 'ftp://example.com/jwks' }), invalid);
  });
});
