// GET /metrics for Prometheus: the registry in text format, behind the caller's authorization
// unless the operator made it public.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '../../api/errors.ts';
import { LaambdaError } from '../../core/errors.ts';

export interface MetricsHandlerOptions {
  metrics: { exposition(): Promise<{ contentType: string; body: string }> };
  /** Whether the request may read /metrics (e.g. it carries an admin token); unused when public. */
  authorize(req: IncomingMessage): Promise<boolean>;
  /** Serve /metrics to anyone. */
  public: boolean;
}

/** A Node request handler answering GET/HEAD /metrics; resolves false for anything else. */
export function createMetricsHandler(options: MetricsHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    if (!options.public && !(await options.authorize(req))) {
      const requestId = randomUUID();
      const error = new LaambdaError('ERR_METRICS_FORBIDDEN', '/metrics needs an admin token (or a server started with --metrics-public true)');
      res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId });
      res.end(JSON.stringify(errorBody(error, requestId)));
      return true;
    }
    const { contentType, body } = await options.metrics.exposition();
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
