import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenAuthorizerConfig } from '../../../core/app.ts';
import { LaambdaError } from '../../../core/errors.ts';
import { createAuthorizers } from './index.ts';
import { bodyOf, fakeClock, fakeFunction, headerOf, makeRequest, policy, type FakeResult } from './test-support.ts';
import type { AuthorizerDecision } from './types.ts';

const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef123/test/GET/pets/42';

function tokenConfig(overrides: Partial<TokenAuthorizerConfig> = {}): TokenAuthorizerConfig {
  return { type: 'token', function: 'auth', identitySource: '$request.header.Authorization', ttlSeconds: 0, ...overrides };
}

function setup(respond: (event: Record<string, any>) => FakeResult, overrides: Partial<TokenAuthorizerConfig> = {}) {
  const fn = fakeFunction(respond);
  const authorizers = createAuthorizers({ tok: tokenConfig(overrides) }, { invoke: fn.invoke, clock: fakeClock(), appDir: '/app' });
  const authorizer = authorizers.get('tok');
  assert.ok(authorizer);
  const run = (token: string | undefined, routeVersion: '1.0' | '2.0' = '1.0') =>
    authorizer.authorize({
      request: makeRequest({ headers: token === undefined ? [] : [['Authorization', token]] }),
      payloadVersion: routeVersion,
    });
  return { run, calls: fn.calls };
}

function denied(decision: AuthorizerDecision) {
  assert.equal(decision.allow, false);
  return decision.response;
}

describe('TOKEN authorizer', () => {
  it('invokes the function with the token and the method ARN', async () => {
    const { run, calls } = setup(() => ({ payload: policy('Allow', ARN) }));
    await run('allow-me');
    assert.deepEqual(calls, [{ functionName: 'auth', event: { type: 'TOKEN', authorizationToken: 'allow-me', methodArn: ARN } }]);
  });

  it('answers 401 without invoking when the token header is missing or empty', async () => {
    const { run, calls } = setup(() => ({ payload: policy('Allow', ARN) }));
    for (const token of [undefined, '']) {
      const response = denied(await run(token));
      assert.equal(response.statusCode, 401);
      assert.deepEqual(bodyOf(response), { message: 'Unauthorized' });
      assert.equal(headerOf(response, 'x-amzn-ErrorType'), 'UnauthorizedException');
    }
    assert.equal(calls.length, 0);
  });

  it('answers 401 without invoking when the token does not match the whole validationExpression', async () => {
    const { run, calls } = setup(() => ({ payload: policy('Allow', ARN) }), { validationExpression: 'Bearer [a-z]+' });
    assert.equal(denied(await run('Bearer abc123')).statusCode, 401);
    assert.equal(calls.length, 0);
    assert.equal((await run('Bearer abc')).allow, true);
  });

  it('refuses an invalid validationExpression when the authorizers are created', () => {
    assert.throws(
      () =>
        createAuthorizers(
          { tok: tokenConfig({ validationExpression: '([' }) },
          { invoke: fakeFunction(() => ({ raw: '' })).invoke, clock: fakeClock(), appDir: '/' },
        ),
      (error: unknown) => error instanceof LaambdaError && error.code === 'ERR_HTTP_AUTHORIZER_INVALID',
    );
  });

  it('passes principalId, integrationLatency and the context stringified to a 1.0 route', async () => {
    const { run } = setup(() => ({ payload: policy('Allow', ARN, { context: { user: 'ann', n: 123, admin: true } }) }));
    const decision = await run('t');
    assert.deepEqual(decision, { allow: true, context: { principalId: 'user-1', integrationLatency: 0, user: 'ann', n: '123', admin: 'true' } });
  });

  it('passes the context under lambda to a 2.0 route', async () => {
    const { run } = setup(() => ({ payload: policy('Allow', ARN, { context: { user: 'ann' } }) }));
    assert.deepEqual(await run('t', '2.0'), { allow: true, context: { lambda: { user: 'ann' } } });
  });

  it('answers 403 "explicit deny" for a matching Deny statement', async () => {
    const { run } = setup(() => ({ payload: policy('Deny', 'arn:aws:execute-api:*') }));
    const response = denied(await run('t'));
    assert.equal(response.statusCode, 403);
    assert.deepEqual(bodyOf(response), { Message: 'User is not authorized to access this resource with an explicit deny' });
    assert.equal(headerOf(response, 'x-amzn-ErrorType'), 'AccessDeniedException');
  });

  it('answers 403 when no Allow statement covers the method ARN', async () => {
    const { run } = setup(() => ({ payload: policy('Allow', 'arn:aws:execute-api:eu-west-1:123456789012:abcdef123/test/POST/*') }));
    const response = denied(await run('t'));
    assert.equal(response.statusCode, 403);
    assert.deepEqual(bodyOf(response), { Message: 'User is not authorized to access this resource' });
  });

  it('answers 401 when the function throws Unauthorized', async () => {
    const { run } = setup(() => ({ error: { errorType: 'Error', errorMessage: 'Unauthorized' } }));
    const response = denied(await run('t'));
    assert.equal(response.statusCode, 401);
    assert.deepEqual(bodyOf(response), { message: 'Unauthorized' });
  });

  it('answers 500 {"message": null} when the function fails otherwise', async () => {
    const { run } = setup(() => ({ error: { errorType: 'TypeError', errorMessage: 'boom' } }));
    const decision = await run('t');
    const response = denied(decision);
    assert.equal(response.statusCode, 500);
    assert.deepEqual(bodyOf(response), { message: null });
    assert.equal(headerOf(response, 'x-amzn-ErrorType'), 'AuthorizerConfigurationException');
    assert.match(decision.allow === false ? (decision.reason ?? '') : '', /TypeError: boom/);
  });

  it('answers 500 when the function answers no usable policy', async () => {
    for (const respond of [() => ({ raw: 'not json' }), () => ({ payload: { principalId: 'x' } }), () => ({ payload: true })]) {
      const { run } = setup(respond);
      assert.equal(denied(await run('t')).statusCode, 500);
    }
  });

  it('answers 500 when invoking the function itself fails', async () => {
    const authorizers = createAuthorizers(
      { tok: tokenConfig() },
      { invoke: () => Promise.reject(new Error('no such function')), clock: fakeClock(), appDir: '/' },
    );
    const decision = await authorizers.get('tok')!.authorize({ request: makeRequest({ headers: [['authorization', 't']] }), payloadVersion: '1.0' });
    assert.equal(denied(decision).statusCode, 500);
  });

  it('answers 500 when an allowing policy carries an object or array in its context', async () => {
    const { run } = setup(() => ({ payload: policy('Allow', ARN, { context: { roles: ['a'] } }) }));
    const response = denied(await run('t'));
    assert.equal(response.statusCode, 500);
    assert.deepEqual(bodyOf(response), { message: 'Internal server error' });
  });

  it('measures integrationLatency on the injected clock', async () => {
    const clock = fakeClock();
    const authorizers = createAuthorizers(
      { tok: tokenConfig() },
      {
        invoke: async () => {
          clock.advance(37);
          return { payload: Buffer.from(JSON.stringify(policy('Allow', '*'))) };
        },
        clock,
        appDir: '/',
      },
    );
    const decision = await authorizers.get('tok')!.authorize({ request: makeRequest({ headers: [['authorization', 't']] }), payloadVersion: '1.0' });
    assert.equal(decision.allow && decision.context.integrationLatency, 37);
  });

  it('returns undefined for an authorizer that was not declared', () => {
    const authorizers = createAuthorizers({}, { invoke: fakeFunction(() => ({ raw: '' })).invoke, clock: fakeClock(), appDir: '/' });
    assert.equal(authorizers.get('nope'), undefined);
  });
});
