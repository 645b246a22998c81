import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePolicy, MalformedAuthorizerResult, parsePolicyResult, wildcardMatch } from './policy.ts';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/pets/42';

function statements(...list: Array<Record<string, unknown>>) {
  return parsePolicyResult({ principalId: 'u', policyDocument: { Statement: list } }).statements;
}

describe('wildcardMatch', () => {
  it('matches * across slashes and ? as exactly one character', () => {
    assert.ok(wildcardMatch('arn:aws:execute-api:*:*:abcdef123/*', ARN));
    assert.ok(wildcardMatch('arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/pets/4?', ARN));
    assert.ok(!wildcardMatch('arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/pets/?', ARN));
    assert.ok(!wildcardMatch('arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/POST/*', ARN));
  });

  it('treats regex metacharacters in the pattern literally', () => {
    assert.ok(wildcardMatch('a.b(c)+$', 'a.b(c)+$'));
    assert.ok(!wildcardMatch('a.b', 'axb'));
  });

  it('compares resources case-sensitively unless asked not to', () => {
    assert.ok(!wildcardMatch('arn:aws:execute-api:*/get/*', ARN));
    assert.ok(wildcardMatch('EXECUTE-API:invoke', 'execute-api:Invoke', true));
  });
});

describe('evaluatePolicy', () => {
  it('allows when an Allow statement matches the ARN', () => {
    assert.equal(evaluatePolicy(statements({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ARN }), ARN), 'allow');
  });

  it('denies implicitly when no statement matches', () => {
    const list = statements({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${ARN}/other` });
    assert.equal(evaluatePolicy(list, ARN), 'implicitDeny');
  });

  it('lets an explicit Deny win over a matching Allow, in either order', () => {
    const allow = { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*' };
    const deny = { Effect: 'Deny', Action: 'execute-api:*', Resource: ['arn:aws:execute-api:*/GET/pets/*'] };
    assert.equal(evaluatePolicy(statements(allow, deny), ARN), 'explicitDeny');
    assert.equal(evaluatePolicy(statements(deny, allow), ARN), 'explicitDeny');
  });

  it('ignores statements for other actions', () => {
    const list = statements({ Effect: 'Allow', Action: ['s3:GetObject', 'execute-api:ManageConnections'], Resource: '*' });
    assert.equal(evaluatePolicy(list, ARN), 'implicitDeny');
  });

  it('accepts Action and Resource as arrays and the * action', () => {
    const list = statements({ Effect: 'Allow', Action: ['*'], Resource: ['arn:none', `arn:aws:execute-api:us-east-1:123456789012:abcdef123/*/GET/*`] });
    assert.equal(evaluatePolicy(list, ARN), 'allow');
  });
});

describe('parsePolicyResult', () => {
  it('accepts a single statement object and keeps context and usageIdentifierKey', () => {
    const result = parsePolicyResult({
      principalId: 'me',
      policyDocument: { Statement: { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' } },
      context: { a: 1 },
      usageIdentifierKey: 'key-1',
    });
    assert.equal(result.statements.length, 1);
    assert.deepEqual(result.context, { a: 1 });
    assert.equal(result.usageIdentifierKey, 'key-1');
  });

  for (const [label, value] of [
    ['a non-object answer', 'allow'],
    ['a missing principalId', { policyDocument: { Statement: [] } }],
    ['a missing policyDocument', { principalId: 'u' }],
    ['an empty Statement list', { principalId: 'u', policyDocument: { Statement: [] } }],
    ['an unknown Effect', { principalId: 'u', policyDocument: { Statement: [{ Effect: 'allow', Action: 'a', Resource: 'r' }] } }],
    ['a numeric Resource', { principalId: 'u', policyDocument: { Statement: [{ Effect: 'Allow', Action: 'a', Resource: 1 }] } }],
    ['a context that is not an object', { principalId: 'u', policyDocument: { Statement: [{ Effect: 'Allow', Action: 'a', Resource: 'r' }] }, context: [] }],
  ] as const) {
    it(`rejects ${label}`, () => {
      assert.throws(() => parsePolicyResult(value), MalformedAuthorizerResult);
    });
  }
});
