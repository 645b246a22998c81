import { LaambdaError } from '../../../core/errors.ts';
import { parseQuery } from '../payload.ts';
import type { RequestInfo } from './request-info.ts';

export type IdentitySourceKind = 'header' | 'querystring' | 'context' | 'stageVariable';

/** One parsed identity source expression. */
export interface IdentitySourceRef {
  kind: IdentitySourceKind;
  name: string;
  /** As configured, for messages. */
  expression: string;
}

// Both syntaxes: HTTP API selection expressions and REST mapping expressions.
const PREFIXES: Array<[string, IdentitySourceKind]> = [
  ['$request.header.', 'header'],
  ['method.request.header.', 'header'],
  ['$request.querystring.', 'querystring'],
  ['method.request.querystring.', 'querystring'],
  ['$context.', 'context'],
  ['context.', 'context'],
  ['$stageVariables.', 'stageVariable'],
  ['stageVariables.', 'stageVariable'],
];

/** Parse one identity source; throws ERR_HTTP_AUTHORIZER_INVALID naming the authorizer. */
export function parseIdentitySource(authorizer: string, expression: string): IdentitySourceRef {
  const trimmed = expression.trim();
  for (const [prefix, kind] of PREFIXES) {
    if (trimmed.startsWith(prefix) && trimmed.length > prefix.length) {
      return { kind, name: trimmed.slice(prefix.length), expression: trimmed };
    }
  }
  throw new LaambdaError(
    'ERR_HTTP_AUTHORIZER_INVALID',
    `Authorizer "${authorizer}": identity source "${expression}" is not $request.header.NAME, $request.querystring.NAME, ` +
      '$context.NAME, $stageVariables.NAME or method.request.header.NAME',
    { details: { authorizer, identitySource: expression } },
  );
}

function headerValue(info: RequestInfo, name: string): string | undefined {
  // Header names are case-insensitive; repeated headers arrive comma-joined, as in the 2.0 event.
  const wanted = name.toLowerCase();
  const values = info.request.headers.filter(([key]) => key.toLowerCase() === wanted).map(([, value]) => value);
  return values.length === 0 ? undefined : values.join(',');
}

function queryValue(info: RequestInfo, name: string): string | undefined {
  // Query string names are case-sensitive.
  const values = parseQuery(info.request.rawQueryString)
    .filter(([key]) => key === name)
    .map(([, value]) => value);
  return values.length === 0 ? undefined : values.join(',');
}

/** The value of one identity source in this request; undefined when absent. */
export function identityValue(ref: IdentitySourceRef, info: RequestInfo): string | undefined {
  switch (ref.kind) {
    case 'header':
      return headerValue(info, ref.name);
    case 'querystring':
      return queryValue(info, ref.name);
    case 'context':
      return info.contextVariables[ref.name];
    case 'stageVariable':
      return info.request.stageVariables?.[ref.name];
  }
}

/**
 * Every source's value in order, or undefined when one is missing or empty: API Gateway then
 * answers 401 without invoking the authorizer.
 */
export function identityValues(refs: readonly IdentitySourceRef[], info: RequestInfo): string[] | undefined {
  const values: string[] = [];
  for (const ref of refs) {
    const value = identityValue(ref, info);
    if (value === undefined || value.trim() === '') return undefined;
    values.push(value);
  }
  return values;
}
