// The control API `/api/v1`: a node:http request listener over the platform's use-cases.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { LaambdaError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';
import type { PlatformServices, Principal } from '../core/services.ts';
import { appRoutes } from './apps.ts';
import { configRoutes } from './config.ts';
import { deployRoutes } from './deploys.ts';
import { errorBody, errorResponse, publicError } from './errors.ts';
import { keyRoutes } from './keys.ts';
import { metaRoutes } from './meta.ts';
import { buildOpenApiDocument, openApiRoute } from './openapi.ts';
import { releaseRoutes } from './releases.ts';
import { observeRoutes } from './observe.ts';
import { resourceRoutes } from './resources.ts';
import { sourceRoutes } from './sources.ts';
import { readRequestParts } from './request.ts';
import type { Route } from './route.ts';
import { tokenRoutes } from './tokens.ts';

export { buildOpenApiDocument } from './openapi.ts';
export type {
  ApiApp,
  ApiAppInfo,
  ApiAuth,
  ApiBuild,
  ApiCreatedKey,
  ApiCreatedToken,
  ApiDeployEvent,
  ApiErrorBody,
  ApiEventSource,
  ApiFunction,
  ApiKey,
  ApiRelease,
  ApiReleaseInfo,
  ApiToken,
} from './schemas.ts';

export const API_PREFIX = '/api/v1';

/** Every route of the API but the OpenAPI document itself. */
export const API_ROUTES: readonly Route[] = [
  ...metaRoutes,
  ...appRoutes,
  ...sourceRoutes,
  ...resourceRoutes,
  ...observeRoutes,
  ...deployRoutes,
  ...releaseRoutes,
  ...configRoutes,
  ...tokenRoutes,
  ...keyRoutes,
];

export type ControlHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface ControlApiOptions {
  services: PlatformServices;
  /** The server's version, in /health and the OpenAPI document. */
  version: string;
  logger: Logger;
  /** Other handlers on the control listener (git, later metrics/dashboard): tried first; return true when handled. */
  extra?: ControlHandler[];
}

type ApiEnv = { Variables: { requestId: string } };

/** A node:http request listener serving /api/v1, the extras, and 404 JSON otherwise. */
export function createControlApi(options: ControlApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger: log } = options;
  const app = createApp(options);
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  const extras = options.extra ?? [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      for (const extra of extras) if (await extra(req, res)) return;
    } catch (error) {
      const requestId = randomUUID();
      const failure = publicError(error, requestId, log);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(failure.status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId });
      res.end(JSON.stringify(errorBody(failure, requestId)));
      return;
    }
    await listener(req, res);
  };
  return (req, res) => {
    void handle(req, res);
  };
}

function createApp(options: ControlApiOptions): Hono<ApiEnv> {
  const { services, version, logger: log } = options;
  let document: Record<string, unknown> | undefined;
  const routes: Route[] = [
    ...API_ROUTES,
    openApiRoute(() => (document ??= buildOpenApiDocument({ routes, version, prefix: API_PREFIX }))),
  ];

  const app = new Hono<ApiEnv>();
  app.use(async (c, next) => {
    const requestId = randomUUID();
    const started = performance.now();
    c.set('requestId', requestId);
    await next();
    c.res.headers.set('x-request-id', requestId);
    const ms = Math.round(performance.now() - started);
    log.debug({ requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'api request');
  });

  for (const route of routes) {
    const path = `${API_PREFIX}${route.path.replace(/\{(\w+)\}/g, ':$1')}`;
    app.on(route.method, path, async (c) => {
      const requestId = c.get('requestId');
      const principal = route.public ? undefined : await authenticate(services, c.req.header('authorization'));
      const parts = await readRequestParts(route, c.req.raw, c.req.param());
      const answer = await route.handle({ services, principal, ...parts, request: c.req.raw, requestId, log, version });
      if (answer instanceof Response) return answer;
      if (route.status === 204) return c.body(null, 204);
      return c.json(answer, route.status);
    });
  }

  app.notFound((c) => {
    const error = new LaambdaError('ERR_API_ROUTE_NOT_FOUND', `no route ${c.req.method} ${c.req.path}`);
    return errorResponse(error, requestIdOf(c));
  });
  app.onError((error, c) => {
    const requestId = requestIdOf(c);
    return errorResponse(publicError(error, requestId, log), requestId);
  });
  return app;
}

function requestIdOf(c: Context<ApiEnv>): string {
  return c.get('requestId') ?? randomUUID();
}

async function authenticate(services: PlatformServices, header: string | undefined): Promise<Principal> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const token = match?.[1];
  if (token === undefined) {
    throw new LaambdaError('ERR_API_UNAUTHORIZED', 'missing token: send Authorization: Bearer TOKEN');
  }
  const principal = await services.authenticate(token);
  if (principal === undefined) throw new LaambdaError('ERR_API_UNAUTHORIZED', 'unknown or revoked token');
  return principal;
}
