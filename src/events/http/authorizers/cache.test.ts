import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizerConfig } from '../../../core/app.ts';
import { createTtlCache } from './cache.ts';
import { createAuthorizers } from './index.ts';
import { fakeClock, fakeFunction, makeRequest, policy, type FakeResult } from './test-support.ts';

const BASE = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef123/test';

describe('createTtlCache', () => {
  it('returns an entry until its TTL has passed on the injected clock', () => {
    const clock = fakeClock();
    const cache = createTtlCache<string>(clock);
    cache.set('k', 'v', 1000);
    clock.advance(999);
    assert.equal(cache.get('k'), 'v');
    clock.advance(1);
    assert.equal(cache.get('k'), undefined);
  });

  it('never stores with a TTL of 0 and drops the oldest entries when full', () => {
    const cache = createTtlCache<number>(fakeClock(), 2);
    cache.set('zero', 0, 0);
    assert.equal(cache.size, 0);
    cache.set('a', 1, 1000);
    cache.set('b', 2, 1000);
    cache.set('c', 3, 1000);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.get('c'), 3);
  });
});

function setup(config: AuthorizerConfig, respond: (event: Record<string, any>) => FakeResult) {
  const clock = fakeClock();
  const fn = fakeFunction(respond);
  const authorizers = createAuthorizers({ a: config }, { invoke: fn.invoke, clock, appDir: '/' });
  const run = (token: string, method = 'GET', routeVersion: '1.0' | '2.0' = '1.0') =>
    authorizers.get('a')!.authorize({ request: makeRequest({ method, headers: [['Authorization', token]] }), payloadVersion: routeVersion });
  return { run, clock, calls: fn.calls, authorizers };
}

const token = (ttlSeconds: number): AuthorizerConfig => ({ type: 'token', function: 'auth', identitySource: '$request.header.Authorization', ttlSeconds });

describe('authorizer result cache', () => {
  it('reuses an answer for the same token within the TTL and invokes again after it', async () => {
    const { run, clock, calls } = setup(token(300), () => ({ payload: policy('Allow', `${BASE}/*`) }));
    assert.equal((await run('t1')).allow, true);
    clock.advance(299_999);
    assert.equal((await run('t1')).allow, true);
    assert.equal(calls.length, 1);
    clock.advance(1);
    await run('t1');
    assert.equal(calls.length, 2);
  });

  it('keys the cache on the identity source values', async () => {
    const { run, calls } = setup(token(300), () => ({ payload: policy('Allow', `${BASE}/*`) }));
    await run('t1');
    await run('t2');
    await run('t1');
    assert.deepEqual(calls.map((call) => call.event.authorizationToken), ['t1', 't2']);
  });

  it('re-evaluates a cached policy against each request ARN, as REST does', async () => {
    // The policy names only the first method it was asked about: a later POST with the same token is denied.
    const { run, calls } = setup(token(300), (event) => ({ payload: policy('Allow', event.methodArn) }));
    assert.equal((await run('t1', 'GET')).allow, true);
    const post = await run('t1', 'POST');
    assert.equal(post.allow, false);
    assert.equal(!post.allow && post.response.statusCode, 403);
    assert.equal(calls.length, 1);
  });

  it('reports integrationLatency 0 for a cached answer', async () => {
    const { run } = setup(token(300), () => ({ payload: policy('Allow', '*') }));
    await run('t1');
    const cached = await run('t1');
    assert.equal(cached.allow && cached.context.integrationLatency, 0);
  });

  it('never caches with a TTL of 0', async () => {
    const { run, calls } = setup(token(0), () => ({ payload: policy('Allow', '*') }));
    await run('t1');
    await run('t1');
    assert.equal(calls.length, 2);
  });

  it('caches denials but not failures', async () => {
    let answer: FakeResult = { error: { errorType: 'Error', errorMessage: 'boom' } };
    const { run, calls } = setup(token(300), () => answer);
    assert.equal(!(await run('t1')).allow, true);
    answer = { error: { errorType: 'Error', errorMessage: 'Unauthorized' } };
    await run('t1');
    answer = { raw: 'garbage' };
    await run('t1');
    assert.equal(calls.length, 3);
    answer = { payload: policy('Deny', '*') };
    await run('t1');
    answer = { payload: policy('Allow', '*') };
    const second = await run('t1');
    assert.equal(second.allow, false);
    assert.equal(calls.length, 4);
  });

  it('caches simple responses, and forgets everything on clearCache', async () => {
    const config: AuthorizerConfig = {
      type: 'request',
      function: 'auth',
      payloadVersion: '2.0',
      simpleResponses: true,
      identitySource: ['$request.header.Authorization'],
      ttlSeconds: 60,
    };
    const { run, calls, authorizers } = setup(config, () => ({ payload: { isAuthorized: true, context: { n: 1 } } }));
    await run('t1', 'GET', '2.0');
    assert.deepEqual(await run('t1', 'DELETE', '2.0'), { allow: true, context: { lambda: { n: 1 } } });
    assert.equal(calls.length, 1);
    authorizers.clearCache();
    await run('t1', 'GET', '2.0');
    assert.equal(calls.length, 2);
  });

  it('does not cache a REQUEST authorizer without identity sources', async () => {
    const config: AuthorizerConfig = { type: 'request', function: 'auth', payloadVersion: '2.0', simpleResponses: true, identitySource: [], ttlSeconds: 300 };
    const { run, calls } = setup(config, () => ({ payload: { isAuthorized: true } }));
    await run('t1', 'GET', '2.0');
    await run('t1', 'GET', '2.0');
    assert.equal(calls.length, 2);
  });
});
