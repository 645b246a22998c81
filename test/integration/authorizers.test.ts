import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DevHarness, type DevHandle } from '../support/dev.ts';

const harness = new DevHarness();
after(() => harness.cleanup());

const ECHO = `exports.handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event.requestContext.authorizer ?? null) });`;

/** Counts its own invocations so tests can tell a cached decision from a fresh one. */
const AUTHORIZERS = `let calls = 0;
const policy = (effect, resource, context) => ({
  principalId: 'user-1',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] },
  context,
});
exports.token = async (event) => {
  calls += 1;
  if (event.authorizationToken === 'Bearer unauth') throw new Error('Unauthorized');
  const effect = event.authorizationToken === 'Bearer allow' ? 'Allow' : 'Deny';
  return policy(effect, event.methodArn, { calls, plan: 'pro' });
};
exports.simple = async (event) => {
  calls += 1;
  return { isAuthorized: event.headers['x-api-key'] === 'open-sesame', context: { calls, tier: 'gold' } };
};
exports.iam = async (event) => {
  calls += 1;
  // Allows GET on any path of the API, nothing else.
  const [arn] = event.routeArn.split('/');
  return policy('Allow', arn + '/*/GET/*', { calls });
};`;

describe('laambda dev authorizers', () => {
  let dev: DevHandle;
  let jwksServer: http.Server;
  let sign: (claims: Record<string, unknown>, options?: { audience?: string; issuer?: string; expiresIn?: string }) => Promise<string>;
  let foreignToken: string;

  before(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(options.issuer ?? 'https://issuer.example.com')
        .setAudience(options.audience ?? 'api')
        .setIssuedAt()
        .setSubject('user-42')
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(privateKey);
    const other = await generateKeyPair('RS256');
    foreignToken = await new SignJWT({ scope: 'pets:read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://issuer.example.com')
      .setAudience('api')
      .setExpirationTime('5m')
      .sign(other.privateKey);
    jwksServer = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;

    dev = await harness.start({
      Procfile: 'route: route.handler\ntoken: auth.token\nsimple: auth.simple\niam: auth.iam\n',
      'route.js': ECHO,
      'auth.js': AUTHORIZERS,
      'jwks.json': JSON.stringify({ keys: [jwk] }),
      'laambda.json': JSON.stringify({
        http: {
          authorizers: {
            tok: { type: 'token', function: 'token', ttlSeconds: 300 },
            simple: { type: 'request', function: 'simple', payloadVersion: '2.0', simpleResponses: true, identitySource: ['$request.header.x-api-key'], ttlSeconds: 300 },
            uncached: { type: 'request', function: 'simple', payloadVersion: '2.0', simpleResponses: true, identitySource: ['$request.header.x-api-key'], ttlSeconds: 0 },
            iam: { type: 'request', function: 'iam', payloadVersion: '2.0', identitySource: ['$request.header.authorization'] },
            jwtFile: { type: 'jwt', issuer: 'https://issuer.example.com', audience: ['api'], jwksFile: 'jwks.json' },
            jwtUrl: { type: 'jwt', issuer: 'https://issuer.example.com', audience: ['api'], jwksUrl },
          },
        },
        functions: {
          route: {
            events: [
              { http: 'GET /rest/pets', payload: '1.0', authorizer: 'tok' },
              { http: 'GET /simple', authorizer: 'simple' },
              { http: 'GET /uncached', authorizer: 'uncached' },
              { http: 'ANY /iam/{proxy+}', authorizer: 'iam' },
              { http: 'GET /jwt/pets', authorizer: 'jwtFile', scopes: ['pets:read'] },
              { http: 'GET /jwt/admin', authorizer: 'jwtFile', scopes: ['admin'] },
              { http: 'GET /jwt-url', authorizer: 'jwtUrl' },
            ],
          },
          token: { events: [] },
          simple: { events: [] },
          iam: { events: [] },
        },
      }),
    });
  });
  after(() => jwksServer?.close());

  const invocationsOf = (fn: string) => dev.logs.filter((line) => line.functionName.endsWith(`-${fn}`) && line.line.startsWith('START')).length;

  it('TOKEN: allows with the policy context in the 1.0 event, denies explicitly, and 401s without a token', async () => {
    const allowed = await dev.fetch('/rest/pets', { headers: { authorization: 'Bearer allow' } });
    assert.equal(allowed.status, 200);
    const context = allowed.json();
    assert.equal(context.principalId, 'user-1');
    assert.equal(context.plan, 'pro');
    assert.ok('integrationLatency' in context);

    const denied = await dev.fetch('/rest/pets', { headers: { authorization: 'Bearer deny' } });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json(), { Message: 'User is not authorized to access this resource with an explicit deny' });

    const before = invocationsOf('token');
    const missing = await dev.fetch('/rest/pets');
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.json(), { message: 'Unauthorized' });
    const unauthorized = await dev.fetch('/rest/pets', { headers: { authorization: 'Bearer unauth' } });
    assert.equal(unauthorized.status, 401);
    assert.equal(invocationsOf('token'), before + 1, 'a missing token never reaches the authorizer function');
  });

  it('REQUEST with simple responses: allows with context.lambda, denies with 403', async () => {
    const allowed = await dev.fetch('/simple', { headers: { 'x-api-key': 'open-sesame' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.json().lambda.tier, 'gold');
    const denied = await dev.fetch('/simple', { headers: { 'x-api-key': 'wrong' } });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json(), { message: 'Forbidden' });
    const missing = await dev.fetch('/simple');
    assert.equal(missing.status, 401);
  });

  it('REQUEST with an IAM policy: the policy decides per method and path', async () => {
    const get = await dev.fetch('/iam/anything', { headers: { authorization: 'x' } });
    assert.equal(get.status, 200);
    const post = await dev.fetch('/iam/anything', { method: 'POST', headers: { authorization: 'x' } });
    assert.equal(post.status, 403, 'the cached policy is checked again against the POST route');
  });

  it('caches decisions per identity for the TTL, and not at all with TTL 0', async () => {
    const key = { headers: { 'x-api-key': 'open-sesame' } };
    const first = (await dev.fetch('/simple', key)).json().lambda.calls;
    const second = (await dev.fetch('/simple', key)).json().lambda.calls;
    assert.equal(second, first, 'the second request reused the cached decision');
    const a = (await dev.fetch('/uncached', key)).json().lambda.calls;
    const b = (await dev.fetch('/uncached', key)).json().lambda.calls;
    assert.equal(b, a + 1, 'TTL 0 invokes the authorizer on every request');
  });

  it('JWT: verifies signature, issuer, audience, expiry and scopes against a JWKS file or URL', async () => {
    const good = await sign({ scope: 'pets:read pets:write' });
    const allowed = await dev.fetch('/jwt/pets', { headers: { authorization: `Bearer ${good}` } });
    assert.equal(allowed.status, 200);
    const { jwt } = allowed.json();
    assert.equal(jwt.claims.sub, 'user-42');
    assert.equal(jwt.claims.iss, 'https://issuer.example.com');
    assert.deepEqual(jwt.scopes, ['pets:read', 'pets:write']);

    const viaUrl = await dev.fetch('/jwt-url', { headers: { authorization: `Bearer ${good}` } });
    assert.equal(viaUrl.status, 200);

    const noScope = await dev.fetch('/jwt/admin', { headers: { authorization: `Bearer ${good}` } });
    assert.equal(noScope.status, 403);
    assert.deepEqual(noScope.json(), { message: 'Forbidden' });

    for (const token of [await sign({}, { audience: 'other' }), await sign({}, { issuer: 'https://evil.example' }), await sign({}, { expiresIn: '-1m' }), foreignToken, 'not-a-jwt']) {
      const reply = await dev.fetch('/jwt-url', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(reply.status, 401, `token ${token.slice(0, 20)}… must be refused`);
      assert.deepEqual(reply.json(), { message: 'Unauthorized' });
      assert.match(String(reply.headers['www-authenticate']), /^Bearer/);
    }
    assert.equal((await dev.fetch('/jwt-url')).status, 401);
  });
});
