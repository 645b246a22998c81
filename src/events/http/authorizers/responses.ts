import type { HttpResponse } from '../response.ts';
import type { ApiFlavor, AuthorizerDecision } from './types.ts';

// API Gateway's default gateway responses. REST APIs name the failure in `x-amzn-ErrorType`, use
// `Message` (capital M) for the policy denials and `{"message": null}` for an authorizer that
// failed (AUTHORIZER_CONFIGURATION_ERROR); HTTP APIs send one-word messages.

function json(statusCode: number, body: unknown, headers: Array<[string, string]> = []): HttpResponse {
  return {
    statusCode,
    headers: [['content-type', 'application/json'], ...headers],
    body: Buffer.from(JSON.stringify(body)),
  };
}

function deny(response: HttpResponse, reason: string): AuthorizerDecision {
  return { allow: false, response, reason };
}

/** 401: a missing identity source, a token failing validation, or the function throwing `Unauthorized`. */
export function unauthorized(flavor: ApiFlavor, reason: string, headers: Array<[string, string]> = []): AuthorizerDecision {
  const extra: Array<[string, string]> = flavor === 'rest' ? [['x-amzn-ErrorType', 'UnauthorizedException'], ...headers] : headers;
  return deny(json(401, { message: 'Unauthorized' }, extra), reason);
}

/** 403: the policy denies the request (explicitly or for want of an Allow), or `isAuthorized: false`. */
export function forbidden(flavor: ApiFlavor, explicit: boolean, reason: string, headers: Array<[string, string]> = []): AuthorizerDecision {
  if (flavor === 'http') return deny(json(403, { message: 'Forbidden' }, headers), reason);
  const message = explicit
    ? 'User is not authorized to access this resource with an explicit deny'
    : 'User is not authorized to access this resource';
  return deny(json(403, { Message: message }, [['x-amzn-ErrorType', 'AccessDeniedException'], ...headers]), reason);
}

/** 500: the authorizer function failed, or answered something API Gateway cannot use. */
export function authorizerFailure(flavor: ApiFlavor, reason: string): AuthorizerDecision {
  if (flavor === 'http') return deny(json(500, { message: 'Internal Server Error' }), reason);
  return deny(json(500, { message: null }, [['x-amzn-ErrorType', 'AuthorizerConfigurationException']]), reason);
}

/**
 * 500 from a REST API whose authorizer allowed the request with an object or array in `context`:
 * API Gateway accepts the answer but then fails to build the integration request.
 */
export function restContextFailure(reason: string): AuthorizerDecision {
  return deny(json(500, { message: 'Internal server error' }, [['x-amzn-ErrorType', 'InternalServerErrorException']]), reason);
}
