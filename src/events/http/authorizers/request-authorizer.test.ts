import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestAuthorizerConfig } from '../../../core/app.ts';
import type { HttpRequest } from '../payload.ts';
import { createAuthorizers } from './index.ts';
import { bodyOf, fakeClock, fakeFunction, headerOf, makeRequest, policy, type FakeResult } from './test-support.ts';
import type { AuthorizerDecision } from './types.ts';

const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef123/test/GET/pets/42';

function requestConfig(overrides: Partial<RequestAuthorizerConfig> = {}): RequestAuthorizerConfig {
  return {
    type: 'request',
    function: 'auth',
    payloadVersion: '2.0',
    simpleResponses: false,
    identitySource: ['$request.header.Authorization'],
    ttlSeconds: 0,
    ...overrides,
  };
}

function setup(respond: (event: Record<string, any>) => FakeResult, overrides: Partial<RequestAuthorizerConfig> = {}) {
  const fn = fakeFunction(respond);
  const authorizers = createAuthorizers({ req: requestConfig(overrides) }, { invoke: fn.invoke, clock: fakeClock(), appDir: '/app' });
  const run = (routeVersion: '1.0' | '2.0', request: Partial<HttpRequest> = {}) =>
    authorizers.get('req')!.authorize({
      request: makeRequest({ headers: [['Authorization', 'tok'], ['Cookie', 'a=1']], rawQueryString: 'q=1&q=2', ...request }),
      payloadVersion: routeVersion,
    });
  return { run, calls: fn.calls };
}

function denied(decision: AuthorizerDecision) {
  assert.equal(decision.allow, false);
  return decision.response;
}

describe('REQUEST authorizer, payload 2.0', () => {
  it('sends the 2.0 event without a body, with the route ARN and the identity source values', async () => {
    const { run, calls } = setup(() => ({ payload: { isAuthorized: true } }), {
      simpleResponses: true,
      identitySource: ['$request.header.Authorization', '$request.querystring.q'],
    });
    const headers: Array<[string, string]> = [['Authorization', 'tok'], ['Cookie', 'a=1'], ['Content-Type', 'application/json']];
    await run('2.0', { method: 'POST', body: Buffer.from('{"secret":1}'), headers });
    const event = calls[0]!.event;
    assert.deepEqual(Object.keys(event), [
      'version', 'type', 'routeArn', 'identitySource', 'routeKey', 'rawPath', 'rawQueryString', 'cookies', 'headers',
      'queryStringParameters', 'requestContext', 'pathParameters',
    ]);
    assert.equal(event.version, '2.0');
    assert.equal(event.type, 'REQUEST');
    assert.equal(event.routeArn, ARN.replace('/GET/', '/POST/'));
    assert.deepEqual(event.identitySource, ['tok', '1,2']);
    assert.deepEqual(event.cookies, ['a=1']);
    assert.deepEqual(event.queryStringParameters, { q: '1,2' });
    assert.equal(event.requestContext.http.method, 'POST');
    assert.equal('body' in event, false);
  });

  it('allows with {isAuthorized: true} and passes the context under lambda, objects included', async () => {
    const context = { user: 'ann', roles: ['a', 'b'], meta: { n: 1 } };
    const { run } = setup(() => ({ payload: { isAuthorized: true, context } }), { simpleResponses: true });
    assert.deepEqual(await run('2.0'), { allow: true, context: { lambda: context } });
  });

  it('passes a simple response context flat with integrationLatency to a 1.0 route', async () => {
    const { run } = setup(() => ({ payload: { isAuthorized: true, context: { user: 'ann', n: 1 } } }), { simpleResponses: true });
    assert.deepEqual(await run('1.0'), { allow: true, context: { integrationLatency: 0, user: 'ann', n: 1 } });
  });

  it('answers 403 {"message":"Forbidden"} to {isAuthorized: false}', async () => {
    const { run } = setup(() => ({ payload: { isAuthorized: false } }), { simpleResponses: true });
    const response = denied(await run('2.0'));
    assert.equal(response.statusCode, 403);
    assert.deepEqual(bodyOf(response), { message: 'Forbidden' });
    assert.equal(headerOf(response, 'x-amzn-ErrorType'), undefined);
  });

  it('answers 500 {"message":"Internal Server Error"} to a simple response without a boolean isAuthorized', async () => {
    const { run } = setup(() => ({ payload: { isAuthorized: 'yes' } }), { simpleResponses: true });
    const response = denied(await run('2.0'));
    assert.equal(response.statusCode, 500);
    assert.deepEqual(bodyOf(response), { message: 'Internal Server Error' });
  });

  it('evaluates an IAM policy against the route ARN when simple responses are off', async () => {
    const { run } = setup((event) => ({ payload: policy(event.routeArn.endsWith('/42') ? 'Allow' : 'Deny', event.routeArn, { context: { k: 'v' } }) }));
    assert.deepEqual(await run('2.0'), { allow: true, context: { lambda: { k: 'v' } } });
    const response = denied(await run('2.0', { rawPath: '/pets/7' }));
    assert.equal(response.statusCode, 403);
    assert.deepEqual(bodyOf(response), { message: 'Forbidden' });
  });

  it('answers 401 {"message":"Unauthorized"} without invoking when an identity source is missing', async () => {
    const { run, calls } = setup(() => ({ payload: { isAuthorized: true } }), {
      simpleResponses: true,
      identitySource: ['$request.header.Authorization', '$request.header.X-Tenant'],
    });
    const response = denied(await run('2.0'));
    assert.equal(response.statusCode, 401);
    assert.deepEqual(bodyOf(response), { message: 'Unauthorized' });
    assert.equal(calls.length, 0);
  });

  it('invokes with no identity sources configured, leaving identitySource out', async () => {
    const { run, calls } = setup(() => ({ payload: { isAuthorized: true } }), { simpleResponses: true, identitySource: [] });
    assert.equal((await run('2.0', { headers: [] })).allow, true);
    assert.equal('identitySource' in calls[0]!.event, false);
  });

  it('answers 401 when the function throws Unauthorized and 500 for other errors', async () => {
    const unauthorized = setup(() => ({ error: { errorType: 'Error', errorMessage: 'Unauthorized' } }), { simpleResponses: true });
    assert.equal(denied(await unauthorized.run('2.0')).statusCode, 401);
    const failing = setup(() => ({ error: { errorType: 'Error', errorMessage: 'nope' } }), { simpleResponses: true });
    assert.deepEqual(bodyOf(denied(await failing.run('2.0'))), { message: 'Internal Server Error' });
  });
});

describe('REQUEST authorizer, payload 1.0', () => {
  it('sends the REST REQUEST event on a 1.0 route', async () => {
    const { run, calls } = setup(() => ({ payload: policy('Allow', ARN) }), { payloadVersion: '1.0' });
    await run('1.0', { stageVariables: { v: '1' } });
    const event = calls[0]!.event;
    assert.deepEqual(Object.keys(event), [
      'type', 'methodArn', 'resource', 'path', 'httpMethod', 'headers', 'multiValueHeaders', 'queryStringParameters',
      'multiValueQueryStringParameters', 'pathParameters', 'stageVariables', 'requestContext',
    ]);
    assert.equal(event.methodArn, ARN);
    assert.equal(event.resource, '/pets/{id}');
    assert.equal(event.path, '/pets/42');
    assert.deepEqual(event.headers, { Authorization: 'tok', Cookie: 'a=1' });
    assert.deepEqual(event.queryStringParameters, { q: '2' });
    assert.deepEqual(event.multiValueQueryStringParameters, { q: ['1', '2'] });
    assert.deepEqual(event.pathParameters, { id: '42' });
    assert.deepEqual(event.stageVariables, { v: '1' });
    assert.equal(event.requestContext.resourcePath, '/pets/{id}');
  });

  it('adds version, identitySource and authorizationToken for an HTTP API (a 2.0 route)', async () => {
    const { run, calls } = setup(() => ({ payload: policy('Allow', ARN) }), {
      payloadVersion: '1.0',
      identitySource: ['$request.header.Authorization', '$request.querystring.q'],
    });
    await run('2.0');
    const event = calls[0]!.event;
    assert.deepEqual(Object.keys(event).slice(0, 5), ['version', 'type', 'methodArn', 'identitySource', 'authorizationToken']);
    assert.equal(event.identitySource, 'tok,1,2');
    assert.equal(event.authorizationToken, 'tok,1,2');
    assert.deepEqual(event.pathParameters, { id: '42' });
  });

  it('answers REST denials on a 1.0 route and HTTP API denials on a 2.0 route', async () => {
    const { run } = setup(() => ({ payload: policy('Deny', '*') }), { payloadVersion: '1.0' });
    assert.deepEqual(bodyOf(denied(await run('1.0'))), { Message: 'User is not authorized to access this resource with an explicit deny' });
    assert.deepEqual(bodyOf(denied(await run('2.0'))), { message: 'Forbidden' });
  });

  it('passes principalId, integrationLatency and the context to a 1.0 route', async () => {
    const { run } = setup(() => ({ payload: policy('Allow', '*', { context: { n: 1, principalId: 'spoofed' } }) }), { payloadVersion: '1.0' });
    assert.deepEqual(await run('1.0'), { allow: true, context: { principalId: 'user-1', integrationLatency: 0, n: '1' } });
  });

  it('lets an HTTP API pass nested context values unchanged', async () => {
    const { run } = setup(() => ({ payload: policy('Allow', '*', { context: { roles: ['a'] } }) }), { payloadVersion: '1.0' });
    assert.deepEqual(await run('2.0'), { allow: true, context: { lambda: { roles: ['a'] } } });
  });
});
