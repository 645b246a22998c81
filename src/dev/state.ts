import type { AppDefinition, FunctionDefinition } from '../core/app.ts';
import { httpRoutesOf } from '../core/app.ts';
import type { Clock } from '../core/ports.ts';
import type { FunctionSpec } from '../core/function.ts';
import { createAuthorizers } from '../events/http/authorizers/index.ts';
import type { FunctionUrlTarget, GatewayRoutes, HttpTarget } from '../events/http/gateway.ts';
import { createRouter, type RouteDefinition } from '../events/http/routes.ts';
import type { FunctionError } from '../runtime/index.ts';

/** How one function runs right now: the engine spec of its last good code. */
export interface RunnableFunction {
  definition: FunctionDefinition;
  spec: FunctionSpec;
}

/** Everything `dev` serves, swapped as a whole when the app changes. */
export interface DevState {
  app: AppDefinition;
  functions: ReadonlyMap<string, RunnableFunction>;
  routes: GatewayRoutes;
}

export interface StateDeps {
  clock: Clock;
  /** Invokes a function by its Procfile name (authorizers call their functions through it). */
  invoke(functionName: string, payload: string): Promise<{ payload: Buffer; error?: FunctionError | undefined }>;
}

/** The Lambda function name of a Procfile entry: `APP-NAME`, as `invoke` and the platform name it. */
export function lambdaName(app: AppDefinition, fn: FunctionDefinition): string {
  return `${app.name}-${fn.name}`;
}

/** Routes, function URLs and authorizers of an app; throws on overlapping routes. */
export function buildRoutes(app: AppDefinition, deps: StateDeps): GatewayRoutes {
  const definitions: Array<RouteDefinition<HttpTarget>> = [];
  const functionUrls = new Map<string, FunctionUrlTarget>();
  for (const fn of app.functions) {
    for (const route of httpRoutesOf(fn)) {
      definitions.push({
        routeKey: route.route,
        target: {
          functionName: fn.name,
          payloadVersion: route.payloadVersion,
          ...(route.authorizer === undefined ? {} : { authorizer: route.authorizer }),
          ...(route.scopes === undefined ? {} : { scopes: route.scopes }),
        },
      });
    }
    if (fn.url !== undefined) {
      functionUrls.set(fn.name.toLowerCase(), {
        functionName: fn.name,
        authType: fn.url.authType,
        ...(fn.url.cors === undefined ? {} : { cors: fn.url.cors }),
      });
    }
  }
  const authorizers = createAuthorizers(app.http.authorizers, {
    clock: deps.clock,
    appDir: app.dir,
    invoke: (name, event) => deps.invoke(name, JSON.stringify(event)),
  });
  return {
    router: createRouter(definitions),
    functionUrls,
    ...(app.http.cors === undefined ? {} : { cors: app.http.cors }),
    authorizer: (name) => authorizers.get(name),
  };
}

/** One row per route and function URL, for the startup banner and `/__laambda/routes`. */
export function describeRoutes(state: DevState, baseUrl: string): Array<{ route: string; function: string; url: string; authorizer?: string }> {
  const rows: Array<{ route: string; function: string; url: string; authorizer?: string }> = [];
  for (const fn of state.app.functions) {
    for (const route of httpRoutesOf(fn)) {
      const path = route.route === '$default' ? '/' : (route.route.split(/\s+/)[1] ?? '/');
      rows.push({
        route: route.route,
        function: fn.name,
        url: `${baseUrl}${path}`,
        ...(route.authorizer === undefined ? {} : { authorizer: route.authorizer }),
      });
    }
    if (fn.url !== undefined) {
      const { protocol, port } = new URL(baseUrl);
      rows.push({ route: 'function URL', function: fn.name, url: `${protocol}//${fn.name.toLowerCase()}.lambda-url.localhost:${port}/` });
    }
  }
  return rows;
}
