// A route is declared once: method, path, zod schemas and summary. The same declaration drives
// request validation (index.ts) and the OpenAPI document (openapi.ts).
import type { z } from 'zod';
import { LaambdaError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';
import type { PlatformServices, Principal } from '../core/services.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

type Schema = z.ZodType | undefined;
type Out<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<P extends Schema, Q extends Schema, B extends Schema, R extends Schema> {
  /** Unique, e.g. `apps.list`; the OpenAPI operationId. */
  id: string;
  method: HttpMethod;
  /** Below /api/v1, with `{name}` variables, e.g. `/apps/{app}`. */
  path: string;
  summary: string;
  tag: string;
  /** An object schema of the path variables (strings in, anything out). */
  params?: P;
  /** An object schema of the query string (first value of each name). */
  query?: Q;
  /** The JSON body; an empty body is read as `{}`. */
  body?: B;
  /** A body the handler streams itself instead of `body`, with the media types it accepts. */
  rawBody?: { mediaTypes: string[]; description: string };
  status: 200 | 201 | 204;
  /** The answer's JSON schema; for a non-JSON `mediaType`, the schema of one item of it. */
  response?: R;
  /** The answer's media type when not application/json (the handler then returns a Response). */
  mediaType?: string;
}

export interface RouteContext<P extends Schema = Schema, Q extends Schema = Schema, B extends Schema = Schema> {
  services: PlatformServices;
  principal: Principal;
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** The request as received; `rawBody` routes read `request.body`. */
  request: Request;
  requestId: string;
  log: Logger;
  version: string;
}

export type PublicRouteContext<P extends Schema = Schema, Q extends Schema = Schema, B extends Schema = Schema> = Omit<
  RouteContext<P, Q, B>,
  'principal'
>;

type Answer<R extends Schema> = (R extends z.ZodType ? z.output<R> : void) | Response;

/** A declared route with its handler, as the router and the OpenAPI generator see it. */
export interface Route extends RouteSpec<Schema, Schema, Schema, Schema> {
  /** No token needed. */
  public: boolean;
  handle(context: PublicRouteContext & { principal: Principal | undefined }): Promise<unknown>;
}

/** A route that needs a token; the handler gets the caller's principal. */
export function route<
  P extends Schema = undefined,
  Q extends Schema = undefined,
  B extends Schema = undefined,
  R extends Schema = undefined,
>(spec: RouteSpec<P, Q, B, R>, handle: (context: RouteContext<P, Q, B>) => Promise<Answer<R>>): Route {
  return {
    ...spec,
    public: false,
    handle: async (context) => {
      const { principal } = context;
      if (principal === undefined) {
        throw new LaambdaError('ERR_PLATFORM_INTERNAL', `route ${spec.id} ran without a principal`);
      }
      return handle({ ...(context as RouteContext<P, Q, B>), principal });
    },
  };
}

/** A route anyone may call (health, the OpenAPI document). */
export function publicRoute<
  P extends Schema = undefined,
  Q extends Schema = undefined,
  B extends Schema = undefined,
  R extends Schema = undefined,
>(spec: RouteSpec<P, Q, B, R>, handle: (context: PublicRouteContext<P, Q, B>) => Promise<Answer<R>>): Route {
  return { ...spec, public: true, handle: (context) => handle(context as PublicRouteContext<P, Q, B>) };
}
