import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLaambdaError } from '../../core/errors.ts';
import type { Logger } from '../../core/ports.ts';
import type { InvokeRequest, InvokeResult } from '../../runtime/index.ts';
import { MAX_SYNC_PAYLOAD_BYTES } from '../../runtime/protocol.js';

// The Lambda Invoke API (`POST /2015-03-31/functions/{FunctionName}/invocations`) as
// @aws-sdk/client-lambda and `aws lambda invoke` call it.

export interface InvokeApiOptions {
  /** Resolves a FunctionName (name, `NAME:QUALIFIER`, or ARN) to a known function name, or undefined. */
  resolve(functionName: string): string | undefined;
  invoke(functionName: string, request: InvokeRequest): Promise<InvokeResult>;
  region: string;
  accountId: string;
  logger: Logger;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': type,
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_SYNC_PAYLOAD_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_SYNC_PAYLOAD_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The name inside an ARN or a `NAME:QUALIFIER` (the qualifier is ignored: dev runs $LATEST). */
export function functionNameOf(raw: string): string {
  const decoded = decodeURIComponent(raw);
  const parts = decoded.split(':');
  if (decoded.startsWith('arn:')) return parts[6] ?? decoded;
  // `123456789012:function:NAME` (partial ARN) or `NAME:QUALIFIER`.
  if (parts[1] === 'function') return parts[2] ?? decoded;
  return parts[0] ?? decoded;
}

/** Handles Invoke requests; answers false for any other path so the caller can go on. */
export function createInvokeApi(options: InvokeApiOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const match = INVOKE_PATH.exec((req.url ?? '').split('?')[0] ?? '');
    if (match === null || req.method !== 'POST') return false;
    const requested = functionNameOf(match[1] ?? '');
    const name = options.resolve(requested);
    const body = await readBody(req);
    if (name === undefined) {
      const arn = `arn:aws:lambda:${options.region}:${options.accountId}:function:${requested}`;
      sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${arn}`);
      return true;
    }
    if (body === undefined) {
      sendError(res, 413, 'RequestTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation`);
      return true;
    }
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType === 'DryRun') {
      res.writeHead(204, { 'x-amzn-requestid': crypto.randomUUID() });
      res.end();
      return true;
    }
    if (invocationType !== 'RequestResponse') {
      sendError(res, 400, 'InvalidParameterValueException', `InvocationType ${invocationType} is not supported here yet; use RequestResponse or DryRun`);
      return true;
    }
    const clientContext = req.headers['x-amz-client-context'];
    try {
      const result = await options.invoke(name, {
        payload: body.length === 0 ? '{}' : body,
        logTail: req.headers['x-amz-log-type'] === 'Tail',
        ...(typeof clientContext === 'string' ? { clientContext: Buffer.from(clientContext, 'base64').toString('utf8') } : {}),
      });
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
    } catch (error) {
      if (isLaambdaError(error) && error.code === 'ERR_INVOKE_THROTTLED') {
        sendError(res, 429, 'TooManyRequestsException', 'Rate Exceeded.');
      } else if (isLaambdaError(error) && error.code === 'ERR_INVOKE_PAYLOAD_TOO_LARGE') {
        sendError(res, 413, 'RequestTooLargeException', error.message);
      } else {
        options.logger.error({ err: error, fn: name }, 'invoke failed');
        sendError(res, 500, 'ServiceException', 'An internal error occurred');
      }
    }
    return true;
  };
}
