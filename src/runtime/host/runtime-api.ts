import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RUNTIME_API_VERSION } from '../protocol.js';

/** What an environment does with the Runtime API calls its process makes. */
export interface RuntimeApiHandlers {
  next(req: IncomingMessage, res: ServerResponse): void;
  response(requestId: string, req: IncomingMessage, res: ServerResponse): void;
  error(requestId: string, req: IncomingMessage, res: ServerResponse): void;
  initError(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * One Lambda Runtime API server for every environment of the engine. Each environment gets
 * `AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT/ENV-ID`: runtime clients build their URLs by
 * concatenating onto that value, so the unguessable id routes every call to its environment.
 */
export interface RuntimeApiServer {
  /** The value for AWS_LAMBDA_RUNTIME_API of the environment with this id. */
  addressFor(envId: string): string;
  register(envId: string, handlers: RuntimeApiHandlers): void;
  unregister(envId: string): void;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a request body up to `limit` bytes; past it, resolves `undefined` and drains the rest. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function route(url: string): { envId: string; rest: string[] } | undefined {
  const parts = url.split('?')[0]?.split('/') ?? [];
  // ['', envId, '2018-06-01', 'runtime', ...]
  if (parts.length < 5 || parts[2] !== RUNTIME_API_VERSION || parts[3] !== 'runtime') return undefined;
  return { envId: parts[1] ?? '', rest: parts.slice(4) };
}

export async function createRuntimeApiServer(host = '127.0.0.1'): Promise<RuntimeApiServer> {
  const environments = new Map<string, RuntimeApiHandlers>();

  const server = http.createServer((req, res) => {
    const match = route(req.url ?? '');
    const handlers = match && environments.get(match.envId);
    if (match === undefined || handlers === undefined) {
      sendJson(res, 404, { errorMessage: 'Unknown Runtime API path or environment', errorType: 'NotFound' });
      return;
    }
    const [a, b, c] = match.rest;
    if (req.method === 'GET' && a === 'invocation' && b === 'next' && c === undefined) {
      handlers.next(req, res);
    } else if (req.method === 'POST' && a === 'invocation' && b && c === 'response') {
      handlers.response(b, req, res);
    } else if (req.method === 'POST' && a === 'invocation' && b && c === 'error') {
      handlers.error(b, req, res);
    } else if (req.method === 'POST' && a === 'init' && b === 'error') {
      handlers.initError(req, res);
    } else {
      sendJson(res, 404, { errorMessage: `No route for ${req.method} ${req.url}`, errorType: 'NotFound' });
    }
  });
  // The `next` long poll may idle for minutes between invocations: no server-side timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 0;
  server.timeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    addressFor: (envId) => `${host}:${port}/${envId}`,
    register: (envId, handlers) => void environments.set(envId, handlers),
    unregister: (envId) => void environments.delete(envId),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
