import { resolve } from 'node:path';
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtAuthorizerConfig } from '../../../core/app.ts';
import { LaambdaError } from '../../../core/errors.ts';
import { jwtRouteContext, tokenScopes } from './claims.ts';
import { identityValue, parseIdentitySource } from './identity.ts';
import { fileKeySet, KeySetUnavailable, remoteKeySet } from './jwks.ts';
import { requestInfo } from './request-info.ts';
import { authorizerFailure, forbidden, unauthorized } from './responses.ts';
import type { Authorizer, AuthorizerDecision, AuthorizerDeps } from './types.ts';

// The asymmetric algorithms HTTP API JWT authorizers accept; HS* (a shared secret) never.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const CLOCK_TOLERANCE_S = 5;

/** A token that fails validation: 401 with the reason in `www-authenticate`, as API Gateway sends it. */
class InvalidToken extends Error {
  override name = 'InvalidToken';
}

function invalidToken(description: string): AuthorizerDecision {
  const challenge = `Bearer scope="" error="invalid_token" error_description="${description}"`;
  return unauthorized('http', description, [['www-authenticate', challenge]]);
}

function describeJoseError(error: InstanceType<typeof errors.JOSEError>): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'the token does not have a valid issuer';
    if (error.claim === 'nbf' || error.claim === 'iat') return 'the token is not valid yet';
    if (error.claim === 'exp') return 'the token does not have an expiration time';
    return `the token has an invalid ${error.claim} claim`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with a supported algorithm';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token kid does not match a key of the JWKS';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  return 'the token is malformed';
}

function audiencesOf(payload: JWTPayload): string[] {
  // API Gateway reads client_id only when the token has no aud.
  if (payload.aud !== undefined) return Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  return typeof payload.client_id === 'string' ? [payload.client_id] : [];
}

function configError(name: string, message: string, details: Record<string, unknown> = {}): LaambdaError {
  return new LaambdaError('ERR_HTTP_AUTHORIZER_INVALID', `Authorizer "${name}": ${message}`, { details: { authorizer: name, ...details } });
}

function keySetOf(name: string, config: JwtAuthorizerConfig, appDir: string): JWTVerifyGetKey {
  if ((config.jwksUrl === undefined) === (config.jwksFile === undefined)) throw configError(name, 'set exactly one of jwksUrl and jwksFile');
  if (config.jwksFile !== undefined) return fileKeySet(resolve(appDir, config.jwksFile));
  const url = config.jwksUrl ?? '';
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw configError(name, `jwksUrl "${url}" is not an http(s) URL`, { jwksUrl: url });
  }
  return remoteKeySet(url);
}

export interface JwtAuthorizerOptions {
  name: string;
  config: JwtAuthorizerConfig;
  deps: AuthorizerDeps;
}

/** An HTTP API JWT authorizer: signature by JWKS, then issuer, audience, times and route scopes. */
export function createJwtAuthorizer(options: JwtAuthorizerOptions): Authorizer {
  const { name, config, deps } = options;
  const source = parseIdentitySource(name, config.identitySource);
  const getKey = keySetOf(name, config, deps.appDir);

  async function verify(token: string): Promise<JWTPayload> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new InvalidToken('the token is malformed');
    }
    // The kid header must name the JWKS key that signed the token.
    if (typeof header.kid !== 'string' || header.kid === '') throw new InvalidToken('the token does not have a kid header');
    try {
      const now = deps.clock.now();
      const { payload } = await jwtVerify(token, getKey, {
        algorithms: ALGORITHMS,
        issuer: config.issuer,
        requiredClaims: ['exp'],
        currentDate: new Date(now),
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      if (typeof payload.iat === 'number' && payload.iat > now / 1000 + CLOCK_TOLERANCE_S) throw new InvalidToken('the token is not valid yet');
      return payload;
    } catch (error) {
      if (error instanceof errors.JOSEError) throw new InvalidToken(describeJoseError(error), { cause: error });
      throw error;
    }
  }

  return {
    async authorize(input) {
      const raw = identityValue(source, requestInfo(input.request));
      if (raw === undefined || raw.trim() === '') {
        return unauthorized('http', `missing token (${source.expression})`, [['www-authenticate', 'Bearer']]);
      }
      const token = raw.trim().replace(/^Bearer\s+/i, '');
      let payload: JWTPayload;
      try {
        payload = await verify(token);
      } catch (error) {
        if (error instanceof InvalidToken) return invalidToken(error.message);
        if (error instanceof KeySetUnavailable) return authorizerFailure('http', error.message);
        throw error;
      }
      if (!audiencesOf(payload).some((audience) => config.audience.includes(audience))) {
        return invalidToken('the token does not have a valid audience');
      }
      const required = input.scopes ?? [];
      if (required.length > 0 && !tokenScopes(payload).some((scope) => required.includes(scope))) {
        const challenge =
          `Bearer scope="${required.join(' ')}" error="insufficient_scope" ` + 'error_description="the token does not have a required scope"';
        return forbidden('http', false, `the token has none of the scopes ${required.join(', ')}`, [['www-authenticate', challenge]]);
      }
      return { allow: true, context: jwtRouteContext(payload, input.scopes, input.payloadVersion) };
    },
  };
}
