import type { AuthorizerConfig } from '../../../core/app.ts';
import { createTtlCache } from './cache.ts';
import { createJwtAuthorizer } from './jwt-authorizer.ts';
import { createLambdaAuthorizer, type AuthorizerAnswer } from './lambda-authorizer.ts';
import type { Authorizer, AuthorizerDeps } from './types.ts';

export type { ApiFlavor, Authorizer, AuthorizerDecision, AuthorizerDeps, AuthorizeInput } from './types.ts';
export { evaluatePolicy, parsePolicyResult, wildcardMatch, type PolicyResult, type PolicyStatement, type PolicyVerdict } from './policy.ts';
export { claimString, stringifyClaims } from './claims.ts';

export interface Authorizers {
  /** The authorizer declared under this name, or undefined. */
  get(name: string): Authorizer | undefined;
  /** Forget every cached authorizer answer (e.g. after a deploy of the authorizer function). */
  clearCache(): void;
}

/**
 * Build the app's authorizers from `http.authorizers`. Throws ERR_HTTP_AUTHORIZER_INVALID for a
 * configuration API Gateway would refuse (bad identity source, regex or JWKS setting).
 */
export function createAuthorizers(configs: Record<string, AuthorizerConfig>, deps: AuthorizerDeps): Authorizers {
  const cache = createTtlCache<AuthorizerAnswer>(deps.clock);
  const authorizers = new Map<string, Authorizer>();
  for (const [name, config] of Object.entries(configs)) {
    const authorizer = config.type === 'jwt' ? createJwtAuthorizer({ name, config, deps }) : createLambdaAuthorizer({ name, config, deps, cache });
    authorizers.set(name, authorizer);
  }
  return {
    get: (name) => authorizers.get(name),
    clearCache: () => cache.clear(),
  };
}
