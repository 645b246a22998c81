import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { isLaambdaError } from '../../core/errors.ts';
import type { Logger } from '../../core/ports.ts';
import type { InvokeRequest, InvokeResult } from '../../runtime/index.ts';
import { MAX_SYNC_PAYLOAD_BYTES } from '../../runtime/protocol.js';
import type { InvokeAuthOutcome } from './authenticate.ts';
import { parseFunctionRef, type FunctionRef } from './function-name.ts';
import { payloadJsonError, readBody, sendError } from './wire.ts';

// The Lambda Invoke API (`POST /2015-03-31/functions/{FunctionName}/invocations`) as
// @aws-sdk/client-lambda, boto3 and `aws lambda invoke` call it.

/** Lambda's limit for `InvocationType: Event` payloads. */
export const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;

interface InvokeApiBase<T> {
  invoke(target: T, request: InvokeRequest): Promise<InvokeResult>;
  /** Checks the caller (e.g. `createSigV4Authenticate`); every request is accepted without it. */
  authenticate?(req: IncomingMessage, body: Buffer): Promise<InvokeAuthOutcome>;
  /** Accepts an `Event` invocation durably; without it `Event` is refused with 400. */
  enqueue?(target: T, payload: Buffer, requestId: string): Promise<void>;
  region: string;
  accountId: string;
  /** ARN partition; default `aws`. */
  partition?: string;
  logger: Logger;
}

/** Resolves a request's function. */
export type ResolveTarget<T> = (
  functionName: string,
  qualifier: string | undefined,
  scope: string | undefined,
) => Promise<T | undefined>;

/**
 * Either `resolveTarget` (the platform: versions, scopes, any target type) or `resolve` alone
 * (`laambda dev`: a synchronous name lookup, the qualifier ignored, the target is the name).
 */
export type InvokeApiOptions<T = string> = InvokeApiBase<T> &
  (
    | {
        /**
         * The function a request names: `qualifier` is a version or alias (undefined for the live
         * function, `$LATEST` included), `scope` what the caller's key may reach (undefined
         * without `authenticate`). Undefined, also for a function outside the scope, answers 404.
         */
        resolveTarget: ResolveTarget<T>;
        resolve?(functionName: string): string | undefined;
      }
    | {
        /** Resolves a function name to a known function name, or undefined. */
        resolve(functionName: string): string | undefined;
        resolveTarget?: undefined;
      }
  );

export type InvokeApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'];

function throttleReason(error: { details: Record<string, unknown> | undefined }): string {
  const reason = error.details?.['reason'];
  return typeof reason === 'string' ? reason : 'ReservedFunctionConcurrentInvocationLimitExceeded';
}

/** Answers the platform errors an invocation or an enqueue may end in. */
function sendFailure(res: ServerResponse, error: unknown, logger: Logger, fn: string): void {
  if (isLaambdaError(error) && error.code === 'ERR_INVOKE_THROTTLED') {
    sendError(res, 429, 'TooManyRequestsException', 'Rate Exceeded.', { Reason: throttleReason(error) });
  } else if (isLaambdaError(error) && error.code === 'ERR_INVOKE_PAYLOAD_TOO_LARGE') {
    sendError(res, 413, 'RequestEntityTooLargeException', error.message);
  } else {
    logger.error({ err: error, fn }, 'invoke failed');
    sendError(res, 500, 'ServiceException', 'An internal error occurred');
  }
}

function sendResult(res: ServerResponse, result: InvokeResult): void {
  const headers: Record<string, string | number> = {
    'content-type': result.contentType ?? 'application/json',
    'content-length': result.payload.length,
    'x-amzn-requestid': result.requestId,
    'x-amz-executed-version': result.executedVersion,
  };
  if (result.error !== undefined) headers['x-amz-function-error'] = 'Unhandled';
  if (result.logTail !== undefined) headers['x-amz-log-result'] = Buffer.from(result.logTail).toString('base64');
  res.writeHead(200, headers);
  res.end(result.payload);
}

/** An Invoke that passed every check, ready to run. */
interface Admitted<T> {
  target: T;
  ref: FunctionRef;
  type: string;
  payload: Buffer;
}

/** The checks every Invoke passes before it runs: size, caller, name, type, target, payload. */
async function admit<T>(
  options: InvokeApiBase<T> & { resolveTarget: ResolveTarget<T> },
  req: IncomingMessage,
  res: ServerResponse,
  rawName: string,
): Promise<Admitted<T> | undefined> {
  const { body, size } = await readBody(req, MAX_SYNC_PAYLOAD_BYTES);
  if (body === undefined) {
    sendError(res, 413, 'RequestEntityTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`);
    return undefined;
  }
  let scope: string | undefined;
  if (options.authenticate !== undefined) {
    const auth = await options.authenticate(req, body);
    if (!auth.ok) return void sendError(res, auth.status, auth.type, auth.message);
    scope = auth.scope;
  }
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  const ref = parseFunctionRef(rawName, query.get('Qualifier'));
  if (!ref.ok) return void sendError(res, 400, 'InvalidParameterValueException', ref.message);
  const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  if (!INVOCATION_TYPES.includes(type)) {
    return void sendError(res, 400, 'ValidationException',
      `1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [${INVOCATION_TYPES.join(', ')}]`);
  }
  const target = await options.resolveTarget(ref.name, ref.qualifier, scope);
  if (target === undefined) {
    const qualifier = ref.requestedQualifier === undefined ? '' : `:${ref.requestedQualifier}`;
    const arn = `arn:${options.partition ?? 'aws'}:lambda:${options.region}:${options.accountId}:function:${ref.name}${qualifier}`;
    return void sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${arn}`);
  }
  if (type === 'Event' && options.enqueue !== undefined && size > MAX_ASYNC_PAYLOAD_BYTES) {
    return void sendError(res, 413, 'RequestEntityTooLargeException',
      `${size} byte payload is too large for the Event invocation type (limit ${MAX_ASYNC_PAYLOAD_BYTES} bytes)`);
  }
  const invalid = payloadJsonError(body);
  if (invalid !== undefined) {
    return void sendError(res, 400, 'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${invalid}`);
  }
  return { target, ref, type, payload: body.length === 0 ? Buffer.from('{}') : body };
}

function handlerFor<T>(options: InvokeApiBase<T> & { resolveTarget: ResolveTarget<T> }): InvokeApiHandler {
  return async (req, res) => {
    const match = INVOKE_PATH.exec((req.url ?? '').split('?')[0] ?? '');
    if (match === null || req.method !== 'POST') return false;
    let admitted: Admitted<T> | undefined;
    try {
      admitted = await admit(options, req, res, match[1] ?? '');
    } catch (error) {
      // authenticate or resolveTarget failed (storage down): the caller gets a retryable 500.
      options.logger.error({ err: error }, 'invoke request could not be admitted');
      if (!res.headersSent) sendError(res, 500, 'ServiceException', 'An internal error occurred');
      else res.destroy();
      return true;
    }
    if (admitted === undefined) return true;
    const { target, ref, type, payload } = admitted;
    if (type === 'DryRun') {
      res.writeHead(204, { 'x-amzn-requestid': randomUUID() });
      res.end();
    } else if (type === 'Event' && options.enqueue === undefined) {
      sendError(res, 400, 'InvalidParameterValueException', `InvocationType ${type} is not supported here yet; use RequestResponse or DryRun`);
    } else if (type === 'Event') {
      const requestId = randomUUID();
      try {
        await options.enqueue?.(target, payload, requestId);
        res.writeHead(202, { 'x-amzn-requestid': requestId, 'content-length': 0 });
        res.end();
      } catch (error) {
        sendFailure(res, error, options.logger, ref.name);
      }
    } else {
      const clientContext = req.headers['x-amz-client-context'];
      try {
        const result = await options.invoke(target, {
          payload,
          logTail: req.headers['x-amz-log-type'] === 'Tail',
          ...(typeof clientContext === 'string' ? { clientContext: Buffer.from(clientContext, 'base64').toString('utf8') } : {}),
        });
        sendResult(res, result);
      } catch (error) {
        sendFailure(res, error, options.logger, ref.name);
      }
    }
    return true;
  };
}

/**
 * Handles Invoke requests; answers false for any other path so the caller can go on. Dev passes
 * `resolve`; the platform passes `resolveTarget`, `authenticate` and `enqueue`.
 */
export function createInvokeApi<T = string>(options: InvokeApiOptions<T>): InvokeApiHandler {
  const { resolve, resolveTarget } = options;
  if (resolveTarget !== undefined) return handlerFor({ ...options, resolveTarget });
  // Without resolveTarget the target is the function name itself (T is string).
  return handlerFor({ ...options, resolveTarget: async (name) => resolve(name) as T | undefined });
}
