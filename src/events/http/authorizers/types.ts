import type { HttpRequest, PayloadVersion } from '../payload.ts';
import type { HttpResponse } from '../response.ts';

/** What an authorizer needs from the platform; tests inject each part. */
export interface AuthorizerDeps {
  /** Invokes a function of the app synchronously with a JSON event; resolves with its raw result. */
  invoke(functionName: string, event: unknown): Promise<{ payload: Buffer; error?: { errorType: string; errorMessage: string } }>;
  /** ms epoch; for cache TTLs and token expiry. */
  clock: { now(): number };
  /** `jwksFile` is relative to it. */
  appDir: string;
}

export interface AuthorizeInput {
  request: HttpRequest;
  /** The ROUTE's event format: it shapes `requestContext.authorizer` and picks REST or HTTP API behaviour. */
  payloadVersion: PayloadVersion;
  /** The route's JWT scopes; the token must carry at least one. */
  scopes?: string[];
}

export type AuthorizerDecision =
  /** `context` goes as is to `requestContext.authorizer` of the route's event. */
  | { allow: true; context: Record<string, unknown> }
  /** `response` is what the gateway sends instead; `reason` is for its logs only. */
  | { allow: false; response: HttpResponse; reason?: string };

export interface Authorizer {
  authorize(input: AuthorizeInput): Promise<AuthorizerDecision>;
}

/**
 * Which API Gateway an authorizer imitates for its denials and context rules. TOKEN exists only in
 * REST APIs and a 2.0 authorizer only in HTTP APIs; a 1.0 REQUEST authorizer is REST on a 1.0
 * route (REST-style events) and HTTP API on a 2.0 route.
 */
export type ApiFlavor = 'rest' | 'http';
