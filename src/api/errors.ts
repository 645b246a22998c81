// Every error leaves the API as the same JSON body; anything that is not a LaambdaError is a bug
// of ours, logged with the request id and answered as ERR_PLATFORM_INTERNAL without its details.
import { STATUS_CODES } from 'node:http';
import type { z } from 'zod';
import { isLaambdaError, LaambdaError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';
import type { ApiErrorBody } from './schemas.ts';

/** The LaambdaError an error is answered as; internal errors are logged here. */
export function publicError(error: unknown, requestId: string, log: Logger): LaambdaError {
  if (isLaambdaError(error)) {
    if (error.kind === 'system') log.error({ requestId, err: error, code: error.code }, 'request failed');
    return error;
  }
  log.error({ requestId, err: error }, 'internal error');
  return new LaambdaError('ERR_PLATFORM_INTERNAL', `internal error (request ${requestId}); the server log has the details`);
}

export function errorBody(error: LaambdaError, requestId: string): ApiErrorBody {
  return {
    statusCode: error.status,
    code: error.code,
    error: STATUS_CODES[error.status] ?? 'Error',
    message: error.message,
    fix: error.fix,
    requestId,
    ...(error.details === undefined ? {} : { details: error.details }),
  };
}

export function errorResponse(error: LaambdaError, requestId: string): Response {
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8' });
  // RFC 6750: a 401 names the scheme the client should use.
  if (error.status === 401) headers.set('www-authenticate', 'Bearer realm="laambda"');
  return new Response(JSON.stringify(errorBody(error, requestId)), { status: error.status, headers });
}

/** A 400 naming each field that failed and what it expected, e.g. `body.memoryMB: expected int`. */
export function requestInvalid(where: string, issues: readonly z.core.$ZodIssue[]): LaambdaError {
  const fields = issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const message = fields.map(({ field, message }) => `${field}: ${message}`).join('; ');
  return new LaambdaError('ERR_API_REQUEST_INVALID', `invalid request: ${message}`, { details: { issues: fields } });
}
