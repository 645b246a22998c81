import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LaambdaError } from '../../../core/errors.ts';
import { identityValue, identityValues, parseIdentitySource } from './identity.ts';
import { regionOf, requestInfo } from './request-info.ts';
import { makeRequest } from './test-support.ts';

function valueOf(expression: string, overrides: Parameters<typeof makeRequest>[0] = {}): string | undefined {
  return identityValue(parseIdentitySource('auth', expression), requestInfo(makeRequest(overrides)));
}

describe('identity sources', () => {
  it('reads headers in either syntax, whatever the case of the name', () => {
    const headers: Array<[string, string]> = [['authorization', 'Bearer abc']];
    assert.equal(valueOf('$request.header.Authorization', { headers }), 'Bearer abc');
    assert.equal(valueOf('method.request.header.AUTHORIZATION', { headers }), 'Bearer abc');
  });

  it('joins a repeated header with commas', () => {
    assert.equal(valueOf('$request.header.x-key', { headers: [['X-Key', 'a'], ['x-key', 'b']] }), 'a,b');
  });

  it('reads query parameters by case-sensitive name, decoded', () => {
    assert.equal(valueOf('$request.querystring.token', { rawQueryString: 'token=a%20b&Token=x' }), 'a b');
    assert.equal(valueOf('method.request.querystring.Token', { rawQueryString: 'token=a' }), undefined);
  });

  it('reads context variables and stage variables in either syntax', () => {
    assert.equal(valueOf('$context.routeKey'), 'GET /pets/{id}');
    assert.equal(valueOf('context.identity.sourceIp'), '192.0.2.1');
    assert.equal(valueOf('$context.httpMethod', { method: 'post' }), 'POST');
    assert.equal(valueOf('$stageVariables.tenant', { stageVariables: { tenant: 't1' } }), 't1');
    assert.equal(valueOf('stageVariables.tenant', { stageVariables: { tenant: 't1' } }), 't1');
    assert.equal(valueOf('$stageVariables.tenant'), undefined);
  });

  it('reports a missing or empty source as missing', () => {
    const refs = ['$request.header.Authorization', '$request.querystring.t'].map((e) => parseIdentitySource('auth', e));
    const info = (headers: Array<[string, string]>, rawQueryString: string) => requestInfo(makeRequest({ headers, rawQueryString }));
    assert.deepEqual(identityValues(refs, info([['Authorization', 'x']], 't=1')), ['x', '1']);
    assert.equal(identityValues(refs, info([['Authorization', 'x']], '')), undefined);
    assert.equal(identityValues(refs, info([['Authorization', '  ']], 't=1')), undefined);
    assert.equal(identityValues(refs, info([['Authorization', 'x']], 't=')), undefined);
  });

  it('refuses an expression in neither syntax, naming the authorizer', () => {
    assert.throws(
      () => parseIdentitySource('myAuth', '$request.body.token'),
      (error: unknown) => error instanceof LaambdaError && error.code === 'ERR_HTTP_AUTHORIZER_INVALID' && /myAuth/.test(error.message),
    );
    assert.throws(() => parseIdentitySource('myAuth', '$request.header.'), LaambdaError);
  });
});

describe('requestInfo', () => {
  it('builds the method ARN from the region of the host, the account, the API, the stage and the raw path', () => {
    const info = requestInfo(makeRequest({ method: 'delete', rawPath: '/pets/4%202' }));
    assert.equal(info.arn, 'arn:aws:execute-api:eu-west-1:123456789012:abcdef123/test/DELETE/pets/4%202');
  });

  it('uses us-east-1 and the request account and API id off execute-api hosts', () => {
    const info = requestInfo(makeRequest({ domainName: 'localhost', apiId: 'local', accountId: '000000000000', stage: '$default' }));
    assert.equal(info.arn, 'arn:aws:execute-api:us-east-1:000000000000:local/$default/GET/pets/42');
    assert.equal(regionOf('x.execute-api.ap-southeast-2.amazonaws.com'), 'ap-southeast-2');
  });

  it('leaves the body and any earlier authorizer result out of the request it hands on', () => {
    const info = requestInfo(makeRequest({ body: Buffer.from('secret'), authorizer: { lambda: {} } }));
    assert.equal(info.request.body.length, 0);
    assert.equal(info.request.authorizer, undefined);
    assert.equal('body' in info.v2, false);
    assert.equal('authorizer' in (info.v2.requestContext as object), false);
  });
});
