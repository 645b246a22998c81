import type { JWTPayload } from 'jose';
import type { PayloadVersion } from '../payload.ts';

/**
 * A claim value as HTTP APIs pass it to the integration: every claim is a string. Numbers and
 * booleans are written out, arrays become `[a b c]` (space-separated in brackets, as captured
 * from real `cognito:groups`), objects their JSON text, and null claims are left out.
 */
export function claimString(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map((item) => claimString(item) ?? 'null').join(' ')}]`;
  return JSON.stringify(value);
}

/** All claims of a verified token, stringified. */
export function stringifyClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    const text = claimString(value);
    if (text !== undefined) claims[name] = text;
  }
  return claims;
}

function scopeList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/\s+/).filter((scope) => scope !== '');
  if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === 'string');
  return undefined;
}

/** The token's scopes: `scp` (a list or a space-separated string), else `scope`. */
export function tokenScopes(payload: JWTPayload): string[] {
  return scopeList(payload.scp) ?? scopeList(payload.scope) ?? [];
}

/**
 * `requestContext.authorizer` for the route's event. `scopes` is null unless the route requires
 * scopes, then it lists the token's.
 */
export function jwtRouteContext(payload: JWTPayload, routeScopes: readonly string[] | undefined, routeVersion: PayloadVersion) {
  const claims = stringifyClaims(payload);
  const scopes = routeScopes !== undefined && routeScopes.length > 0 ? tokenScopes(payload) : null;
  return routeVersion === '2.0' ? { jwt: { claims, scopes } } : { claims, scopes };
}
