import type { RequestAuthorizerConfig, TokenAuthorizerConfig } from '../../../core/app.ts';
import { LaambdaError } from '../../../core/errors.ts';
import type { PayloadVersion } from '../payload.ts';
import type { TtlCache } from './cache.ts';
import { lambdaRouteContext, nonScalarContextKeys } from './context.ts';
import { requestEventV1, requestEventV2, tokenEvent } from './events.ts';
import { identityValues, parseIdentitySource } from './identity.ts';
import {
  evaluatePolicy,
  isRecord,
  MalformedAuthorizerResult,
  parseContext,
  parsePolicyResult,
  type PolicyResult,
} from './policy.ts';
import { requestInfo, type RequestInfo } from './request-info.ts';
import { authorizerFailure, forbidden, restContextFailure, unauthorized } from './responses.ts';
import type { ApiFlavor, Authorizer, AuthorizerDecision, AuthorizerDeps, AuthorizeInput } from './types.ts';

export type LambdaAuthorizerConfig = TokenAuthorizerConfig | RequestAuthorizerConfig;

/** A successful authorizer answer: what the cache keeps and re-evaluates for each request. */
export type AuthorizerAnswer =
  | { kind: 'policy'; result: PolicyResult }
  | { kind: 'simple'; isAuthorized: boolean; context: Record<string, unknown> };

export interface LambdaAuthorizerOptions {
  name: string;
  config: LambdaAuthorizerConfig;
  deps: AuthorizerDeps;
  /** Shared by the app's authorizers; keys start with the authorizer name. */
  cache: TtlCache<AuthorizerAnswer>;
}

type Invocation = { ok: true; answer: AuthorizerAnswer; latency: number } | { ok: false; decision: AuthorizerDecision };

function flavorOf(config: LambdaAuthorizerConfig, routeVersion: PayloadVersion): ApiFlavor {
  if (config.type === 'token') return 'rest';
  if (config.payloadVersion === '2.0') return 'http';
  return routeVersion === '1.0' ? 'rest' : 'http';
}

function compileValidation(name: string, config: LambdaAuthorizerConfig): RegExp | undefined {
  if (config.type !== 'token' || config.validationExpression === undefined || config.validationExpression === '') return undefined;
  try {
    // The whole token must match, as a Java `Pattern.matches` does.
    return new RegExp(`^(?:${config.validationExpression})$`);
  } catch (cause) {
    throw new LaambdaError('ERR_HTTP_AUTHORIZER_INVALID', `Authorizer "${name}": validationExpression is not a valid regular expression`, {
      cause,
      details: { authorizer: name, validationExpression: config.validationExpression },
    });
  }
}

function parseAnswer(config: LambdaAuthorizerConfig, payload: Buffer): AuthorizerAnswer {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new MalformedAuthorizerResult('the answer is not valid JSON');
  }
  if (config.type === 'request' && config.payloadVersion === '2.0' && config.simpleResponses) {
    if (!isRecord(value) || typeof value.isAuthorized !== 'boolean') {
      throw new MalformedAuthorizerResult('a simple response must be an object with a boolean isAuthorized');
    }
    return { kind: 'simple', isAuthorized: value.isAuthorized, context: parseContext(value.context) };
  }
  return { kind: 'policy', result: parsePolicyResult(value) };
}

function decide(answer: AuthorizerAnswer, info: RequestInfo, flavor: ApiFlavor, input: AuthorizeInput, latency: number): AuthorizerDecision {
  if (answer.kind === 'simple') {
    if (!answer.isAuthorized) return forbidden(flavor, false, 'the authorizer answered isAuthorized: false');
    return { allow: true, context: lambdaRouteContext({ flavor, context: answer.context, integrationLatency: latency }, input.payloadVersion) };
  }
  const { result } = answer;
  const verdict = evaluatePolicy(result.statements, info.arn);
  if (verdict === 'explicitDeny') return forbidden(flavor, true, `the policy explicitly denies ${info.arn}`);
  if (verdict === 'implicitDeny') return forbidden(flavor, false, `no policy statement allows ${info.arn}`);
  const invalid = flavor === 'rest' ? nonScalarContextKeys(result.context) : [];
  if (invalid.length > 0) {
    return restContextFailure(`authorizer context values must be strings, numbers or booleans (not ${invalid.join(', ')})`);
  }
  const grant = { flavor, principalId: result.principalId, context: result.context, integrationLatency: latency };
  return { allow: true, context: lambdaRouteContext(grant, input.payloadVersion) };
}

/** A TOKEN or REQUEST authorizer backed by a function of the app. */
export function createLambdaAuthorizer(options: LambdaAuthorizerOptions): Authorizer {
  const { name, config, deps, cache } = options;
  const expressions = config.type === 'token' ? [config.identitySource] : config.identitySource;
  const sources = expressions.map((expression) => parseIdentitySource(name, expression));
  const validation = compileValidation(name, config);
  // API Gateway caches only when there is an identity to key the cache on.
  const ttlMs = sources.length > 0 ? config.ttlSeconds * 1000 : 0;

  function eventFor(info: RequestInfo, flavor: ApiFlavor, identity: string[]): Record<string, unknown> {
    if (config.type === 'token') return tokenEvent(info, identity[0] ?? '');
    return config.payloadVersion === '2.0' ? requestEventV2(info, identity) : requestEventV1(info, flavor, identity);
  }

  async function invoke(event: Record<string, unknown>, flavor: ApiFlavor): Promise<Invocation> {
    const started = deps.clock.now();
    let result: Awaited<ReturnType<AuthorizerDeps['invoke']>>;
    try {
      result = await deps.invoke(config.function, event);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, decision: authorizerFailure(flavor, `invoking the authorizer function "${config.function}" failed: ${message}`) };
    }
    const latency = Math.max(0, deps.clock.now() - started);
    if (result.error !== undefined) {
      // The one error a function may raise on purpose: `throw new Error('Unauthorized')`.
      if (result.error.errorMessage === 'Unauthorized') {
        return { ok: false, decision: unauthorized(flavor, 'the authorizer function raised Unauthorized') };
      }
      const { errorType, errorMessage } = result.error;
      return { ok: false, decision: authorizerFailure(flavor, `the authorizer function failed: ${errorType}: ${errorMessage}`) };
    }
    try {
      return { ok: true, answer: parseAnswer(config, result.payload), latency };
    } catch (error) {
      if (!(error instanceof MalformedAuthorizerResult)) throw error;
      return { ok: false, decision: authorizerFailure(flavor, `the authorizer answered an invalid result: ${error.message}`) };
    }
  }

  return {
    async authorize(input) {
      const flavor = flavorOf(config, input.payloadVersion);
      const info = requestInfo(input.request);
      const identity = identityValues(sources, info);
      if (identity === undefined) return unauthorized(flavor, `missing identity source (${expressions.join(', ')})`);
      if (validation !== undefined && !validation.test(identity[0] ?? '')) {
        return unauthorized(flavor, 'the token does not match the validationExpression');
      }
      const key = `${name}\u0000${JSON.stringify(identity)}`;
      const cached = ttlMs > 0 ? cache.get(key) : undefined;
      if (cached !== undefined) return decide(cached, info, flavor, input, 0);
      const invocation = await invoke(eventFor(info, flavor, identity), flavor);
      if (!invocation.ok) return invocation.decision;
      cache.set(key, invocation.answer, ttlMs);
      return decide(invocation.answer, info, flavor, input, invocation.latency);
    },
  };
}
