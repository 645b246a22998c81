import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { RUNTIME_API_VERSION } from '../protocol.js';

// An ES import of node:http evaluates every lazy export (undici among them): ~17 MB and
// ~34 ms of start-up for a module whose server is all we use.
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

/** What an environment does with the Runtime API calls its process makes. */
export interface RuntimeApiHandlers {
  next(req: IncomingMessage, res: ServerResponse): void;
  response(requestId: string, req: IncomingMessage, res: ServerResponse): void;
  error(requestId: string, req: IncomingMessage, res: ServerResponse): void;
  initError(req: IncomingMessage, res: ServerResponse): void;
}

/** A Runtime API endpoint of one environment. */
export interface RuntimeApiEndpoint {
  /** The value for AWS_LAMBDA_RUNTIME_API: `127.0.0.1:PORT`, nothing after the port. */
  address: string;
  close(): void;
}

/**
 * Opens Runtime API endpoints, one listener per environment. A shared listener with a path
 * prefix per environment is not enough: aws-lambda-ric's JavaScript client keeps only host
 * and port when it reports init errors, so the address must be a bare `host:port`.
 */
export interface RuntimeApiServer {
  open(handlers: RuntimeApiHandlers): Promise<RuntimeApiEndpoint>;
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

function route(url: string): string[] | undefined {
  const parts = url.split('?')[0]?.split('/') ?? [];
  // ['', '2018-06-01', 'runtime', ...]
  if (parts.length < 4 || parts[1] !== RUNTIME_API_VERSION || parts[2] !== 'runtime') return undefined;
  return parts.slice(3);
}

/**
 * The request id in a path segment. A malformed escape (`%E0%A4%A`) must not throw out of the
 * request listener, which would take the whole platform down: it stays as sent, matches no
 * invocation, and the environment answers 400.
 */
function requestIdOf(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function listen(handlers: RuntimeApiHandlers, host: string): Promise<import('node:http').Server> {
  const server = http.createServer((req, res) => {
    const [a, b, c] = route(req.url ?? '') ?? [];
    if (req.method === 'GET' && a === 'invocation' && b === 'next' && c === undefined) {
      handlers.next(req, res);
    } else if (req.method === 'POST' && a === 'invocation' && b && c === 'response') {
      handlers.response(requestIdOf(b), req, res);
    } else if (req.method === 'POST' && a === 'invocation' && b && c === 'error') {
      handlers.error(requestIdOf(b), req, res);
    } else if (req.method === 'POST' && a === 'init' && b === 'error') {
      handlers.initError(req, res);
    } else {
      req.resume();
      sendJson(res, 404, { errorMessage: `No route for ${req.method} ${req.url}`, errorType: 'NotFound' });
    }
  });
  // The `next` long poll may idle for minutes between invocations: no server-side timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 0;
  server.timeout = 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

export function createRuntimeApiServer(host = '127.0.0.1'): RuntimeApiServer {
  const servers = new Set<import('node:http').Server>();
  const stop = (server: import('node:http').Server): void => {
    servers.delete(server);
    server.closeAllConnections();
    server.close();
  };
  return {
    async open(handlers) {
      const server = await listen(handlers, host);
      servers.add(server);
      const { port } = server.address() as AddressInfo;
      return { address: `${host}:${port}`, close: () => stop(server) };
    },
    async close() {
      for (const server of [...servers]) stop(server);
    },
  };
}
