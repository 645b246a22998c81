import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsConfig, PayloadVersion } from '../../core/app.ts';
import { isLaambdaError } from '../../core/errors.ts';
import type { Clock, Logger } from '../../core/ports.ts';
import type { InvokeResult } from '../../runtime/index.ts';
import { ERROR_TYPE, MAX_SYNC_PAYLOAD_BYTES } from '../../runtime/protocol.js';
import type { Authorizer } from './authorizers/index.ts';
import { applyCors, preflightResponse } from './cors.ts';
import { buildEvent, type HttpRequest } from './payload.ts';
import { gatewayErrorResponse, type HttpResponse, mapResult } from './response.ts';
import { parseRoute, type Route, type Router } from './routes.ts';

/** What a route leads to. */
export interface HttpTarget {
  /** The Procfile name of the function. */
  functionName: string;
  payloadVersion: PayloadVersion;
  authorizer?: string;
  scopes?: string[];
}

/** A function URL: every path and method of its own host goes to the function (payload 2.0). */
export interface FunctionUrlTarget {
  functionName: string;
  authType: 'NONE' | 'AWS_IAM';
  cors?: CorsConfig;
}

/** An immutable view of the app's HTTP surface; the gateway reads a fresh one per request. */
export interface GatewayRoutes {
  router: Router<HttpTarget>;
  /** By lower-case function name: reached as `NAME.lambda-url.localhost`. */
  functionUrls: ReadonlyMap<string, FunctionUrlTarget>;
  cors?: CorsConfig;
  authorizer(name: string): Authorizer | undefined;
}

export interface GatewayAccess {
  method: string;
  path: string;
  statusCode: number;
  functionName: string | undefined;
  ms: number;
  /** Why the gateway answered with an error of its own (malformed result, authorizer failure…). */
  reason?: string;
}

export interface GatewayOptions {
  routes(): GatewayRoutes;
  invoke(functionName: string, payload: string): Promise<InvokeResult>;
  /** API id for events (requestContext.apiId); the app name locally. */
  apiId: string;
  stage?: string;
  clock: Clock;
  logger: Logger;
  onAccess?: (access: GatewayAccess) => void;
  /** Answers `/__laambda/*` requests (health, routes); undefined → not handled. */
  internal?: (path: string) => { statusCode: number; body: unknown } | undefined;
}

const FUNCTION_URL_HOST = /^([a-z0-9_-]+)\.lambda-url\.localhost(?::\d+)?$/i;
const DROPPED_RESPONSE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection']);
const DEFAULT_URL_ROUTE: Route = parseRoute('$default');

/** API Gateway's request ids look like `JKJaXmPLvHcESHA=`. */
function newRequestId(): string {
  return randomBytes(10).toString('base64');
}

function rawHeaderPairs(req: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i] ?? '', raw[i + 1] ?? '']);
  return pairs;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared >= limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size >= limit) {
        req.removeAllListeners('data');
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: HttpResponse, requestId: string, close = false): void {
  const flat: string[] = [];
  for (const [name, value] of response.headers) {
    if (!DROPPED_RESPONSE_HEADERS.has(name.toLowerCase())) flat.push(name, value);
  }
  flat.push('content-length', String(response.body.length), 'apigw-requestid', requestId);
  if (close) flat.push('connection', 'close');
  res.writeHead(response.statusCode, flat);
  res.end(response.body);
}

function jsonResponse(statusCode: number, body: unknown): HttpResponse {
  return { statusCode, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify(body)) };
}

/** The client response for one invocation's outcome. */
function responseFor(result: InvokeResult, version: PayloadVersion): { response: HttpResponse; reason?: string } {
  if (result.error !== undefined) {
    const kind = result.error.errorType === ERROR_TYPE.timeout ? 'timeout' : 'functionError';
    return { response: gatewayErrorResponse(kind), reason: `${result.error.errorType}: ${result.error.errorMessage}` };
  }
  const mapped = mapResult({ version, payload: result.payload });
  return mapped.ok ? { response: mapped.response } : { response: mapped.response, reason: `malformed response: ${mapped.reason}` };
}

function platformErrorResponse(error: unknown): { response: HttpResponse; reason: string } {
  if (isLaambdaError(error) && error.code === 'ERR_INVOKE_THROTTLED') {
    return { response: gatewayErrorResponse('throttled'), reason: error.message };
  }
  if (isLaambdaError(error) && error.code === 'ERR_INVOKE_PAYLOAD_TOO_LARGE') {
    return { response: gatewayErrorResponse('tooLarge'), reason: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { response: jsonResponse(500, { message: 'Internal Server Error' }), reason: message };
}

/** The HTTP request handler of an app's API: routes, CORS, authorizers, function URLs. */
export function createGateway(options: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const stage = options.stage ?? '$default';

  async function handle(req: IncomingMessage, res: ServerResponse, started: number): Promise<GatewayAccess> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
    const rawQueryString = queryAt === -1 ? '' : url.slice(queryAt + 1);
    const requestId = newRequestId();
    const access = (statusCode: number, functionName?: string, reason?: string): GatewayAccess => ({
      method,
      path: rawPath,
      statusCode,
      functionName,
      ms: options.clock.monotonic() - started,
      ...(reason === undefined ? {} : { reason }),
    });

    if (rawPath.startsWith('/__laambda/') && options.internal !== undefined) {
      const answer = options.internal(rawPath);
      if (answer !== undefined) {
        send(res, jsonResponse(answer.statusCode, answer.body), requestId);
        return access(answer.statusCode);
      }
    }

    const routes = options.routes();
    const headers = rawHeaderPairs(req);
    const host = req.headers.host ?? 'localhost';
    const urlTarget = FUNCTION_URL_HOST.exec(host);
    let target: HttpTarget;
    let route: Route;
    let pathParameters: Record<string, string> = {};
    let cors = routes.cors;
    if (urlTarget !== null) {
      const fn = routes.functionUrls.get((urlTarget[1] ?? '').toLowerCase());
      if (fn === undefined) {
        send(res, gatewayErrorResponse('notFound'), requestId);
        return access(404, undefined, `no function URL for host ${host}`);
      }
      if (fn.authType === 'AWS_IAM') {
        // Never public: until the SigV4 verifier lands with the AWS endpoints, IAM URLs refuse all.
        send(res, jsonResponse(403, { Message: 'Forbidden' }), requestId);
        return access(403, fn.functionName, 'AWS_IAM function URLs need SigV4 verification, not available in dev yet');
      }
      cors = fn.cors;
      const preflight = preflightResponse(cors, method, headers);
      if (preflight !== undefined) {
        send(res, preflight, requestId);
        return access(preflight.statusCode, fn.functionName);
      }
      target = { functionName: fn.functionName, payloadVersion: '2.0' };
      route = DEFAULT_URL_ROUTE;
    } else {
      // CORS preflights are answered before routing: an API needs no OPTIONS routes.
      const preflight = preflightResponse(cors, method, headers);
      if (preflight !== undefined) {
        send(res, preflight, requestId);
        return access(preflight.statusCode);
      }
      const match = routes.router.match(method, rawPath);
      if (match === undefined) {
        send(res, applyCors(cors, headers, gatewayErrorResponse('notFound')), requestId);
        return access(404);
      }
      ({ target, route, pathParameters } = match);
    }

    let body: Buffer;
    try {
      body = await readBody(req, MAX_SYNC_PAYLOAD_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      send(res, applyCors(cors, headers, gatewayErrorResponse('tooLarge')), requestId, true);
      return access(413, target.functionName, 'request body over 6 MB');
    }

    const request: HttpRequest = {
      method,
      rawPath,
      rawQueryString,
      headers,
      body,
      sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      requestId,
      time: new Date(options.clock.now()),
      stage,
      domainName: urlTarget === null ? host : `${target.functionName}.lambda-url.localhost`,
      apiId: urlTarget === null ? options.apiId : target.functionName,
      route,
      pathParameters,
    };

    if (target.authorizer !== undefined) {
      const authorizer = routes.authorizer(target.authorizer);
      if (authorizer === undefined) {
        send(res, applyCors(cors, headers, jsonResponse(500, { message: 'Internal Server Error' })), requestId);
        return access(500, target.functionName, `authorizer "${target.authorizer}" is not defined`);
      }
      const decision = await authorizer.authorize({
        request,
        payloadVersion: target.payloadVersion,
        ...(target.scopes === undefined ? {} : { scopes: target.scopes }),
      });
      if (!decision.allow) {
        send(res, applyCors(cors, headers, decision.response), requestId);
        return access(decision.response.statusCode, target.functionName, decision.reason ?? `denied by authorizer ${target.authorizer}`);
      }
      request.authorizer = decision.context;
    }

    const event = JSON.stringify(buildEvent(target.payloadVersion, request));
    let outcome: { response: HttpResponse; reason?: string };
    try {
      outcome = responseFor(await options.invoke(target.functionName, event), target.payloadVersion);
    } catch (error) {
      outcome = platformErrorResponse(error);
    }
    send(res, applyCors(cors, headers, outcome.response), requestId);
    return access(outcome.response.statusCode, target.functionName, outcome.reason);
  }

  return (req, res) => {
    const started = options.clock.monotonic();
    handle(req, res, started).then(
      (access) => options.onAccess?.(access),
      (error: unknown) => {
        options.logger.error({ err: error, url: req.url }, 'gateway request failed');
        if (!res.headersSent) send(res, jsonResponse(500, { message: 'Internal Server Error' }), newRequestId(), true);
        else res.destroy();
      },
    );
  };
}
