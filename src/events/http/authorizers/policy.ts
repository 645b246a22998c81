// IAM policies as Lambda authorizers return them, evaluated the way API Gateway does against the
// request's method ARN: an explicit Deny wins, then any Allow, else the request is denied.

export interface PolicyStatement {
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
}

/** An authorizer's IAM-policy answer, validated. */
export interface PolicyResult {
  principalId: string;
  statements: PolicyStatement[];
  context: Record<string, unknown>;
  usageIdentifierKey?: string;
}

export type PolicyVerdict = 'allow' | 'explicitDeny' | 'implicitDeny';

/** Thrown when the function's answer is not a usable policy; the gateway answers 500. */
export class MalformedAuthorizerResult extends Error {
  override name = 'MalformedAuthorizerResult';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((item) => typeof item === 'string')) {
    throw new MalformedAuthorizerResult(`policy statement ${field} must be a string or a non-empty array of strings`);
  }
  return list;
}

function parseStatement(value: unknown): PolicyStatement {
  if (!isRecord(value)) throw new MalformedAuthorizerResult('each policy statement must be an object');
  const { Effect: effect } = value;
  if (effect !== 'Allow' && effect !== 'Deny') throw new MalformedAuthorizerResult('policy statement Effect must be "Allow" or "Deny"');
  return { effect, actions: stringList(value.Action, 'Action'), resources: stringList(value.Resource, 'Resource') };
}

/** The `context` of an answer: absent, null or an object. */
export function parseContext(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new MalformedAuthorizerResult('context must be an object');
  return value;
}

/** Validate an IAM-policy answer; throws MalformedAuthorizerResult. */
export function parsePolicyResult(value: unknown): PolicyResult {
  if (!isRecord(value)) throw new MalformedAuthorizerResult('the answer must be a JSON object');
  const { principalId, policyDocument, usageIdentifierKey } = value;
  if (typeof principalId !== 'string') throw new MalformedAuthorizerResult('principalId must be a string');
  if (!isRecord(policyDocument)) throw new MalformedAuthorizerResult('policyDocument must be an object');
  // IAM accepts a single statement object as well as an array of them.
  const raw = Array.isArray(policyDocument.Statement) ? policyDocument.Statement : [policyDocument.Statement];
  if (raw.length === 0 || raw[0] === undefined) throw new MalformedAuthorizerResult('policyDocument.Statement must hold at least one statement');
  if (usageIdentifierKey !== undefined && usageIdentifierKey !== null && typeof usageIdentifierKey !== 'string') {
    throw new MalformedAuthorizerResult('usageIdentifierKey must be a string');
  }
  return {
    principalId,
    statements: raw.map(parseStatement),
    context: parseContext(value.context),
    ...(typeof usageIdentifierKey === 'string' ? { usageIdentifierKey } : {}),
  };
}

const patterns = new Map<string, RegExp>();

/** IAM wildcard match: `*` any run of characters (slashes included), `?` exactly one. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = patterns.get(key);
  if (regex === undefined) {
    const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    if (patterns.size > 1000) patterns.clear();
    patterns.set(key, regex);
  }
  return regex.test(value);
}

const INVOKE = 'execute-api:Invoke';

function applies(statement: PolicyStatement, arn: string): boolean {
  // Action names are case-insensitive in IAM; resource ARNs are not.
  return (
    statement.actions.some((action) => wildcardMatch(action, INVOKE, true)) &&
    statement.resources.some((resource) => wildcardMatch(resource, arn))
  );
}

/** Evaluate the statements for one request ARN. */
export function evaluatePolicy(statements: readonly PolicyStatement[], arn: string): PolicyVerdict {
  let allowed = false;
  for (const statement of statements) {
    if (!applies(statement, arn)) continue;
    if (statement.effect === 'Deny') return 'explicitDeny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicitDeny';
}
