// The OpenAPI 3.1 document, generated from the route declarations: the schemas the server
// validates with are the schemas it publishes.
import { STATUS_CODES } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { publicRoute, type Route } from './route.ts';
import { components, ErrorBody } from './schemas.ts';

type JsonSchema = Record<string, unknown>;

export interface OpenApiOptions {
  routes: readonly Route[];
  version: string;
  /** The path the routes are mounted under, e.g. `/api/v1`. */
  prefix: string;
}

const DEFS = '#/$defs/';
const COMPONENT_SCHEMAS = '#/components/schemas/';

/** Builds the OpenAPI 3.1 document of the routes. */
export function buildOpenApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const defs: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of options.routes) {
    const path = `${options.prefix}${route.path}`;
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, defs);
  }
  // The error schema is referenced by every operation, whether or not a route names it.
  toSchema(ErrorBody, 'output', defs);
  const sortedDefs = Object.fromEntries(Object.entries(defs).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'laambda control API',
      version: options.version,
      description: 'Apps, deploys, releases, config, tokens and access keys of a laambda server. Errors: docs/errors.md.',
    },
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An admin or app token (`lb_…`).' },
      },
      schemas: sortedDefs,
      responses: {
        Error: {
          description: 'An error with a stable code (docs/errors.md)',
          content: { 'application/json': { schema: { $ref: `${COMPONENT_SCHEMAS}Error` } } },
        },
      },
    },
  };
}

/** The route serving the document; built on first request from the routes given. */
export function openApiRoute(document: () => Record<string, unknown>): Route {
  return publicRoute(
    {
      id: 'openapi',
      method: 'GET',
      path: '/openapi.json',
      summary: 'This API as OpenAPI 3.1 (no token)',
      tag: 'meta',
      status: 200,
      response: z.record(z.string(), z.unknown()),
    },
    async () => document(),
  );
}

function operation(route: Route, defs: Record<string, JsonSchema>): Record<string, unknown> {
  const op: Record<string, unknown> = {
    operationId: route.id,
    summary: route.summary,
    tags: [route.tag],
  };
  const params = [...parameters(route.params, 'path', defs), ...parameters(route.query, 'query', defs)];
  if (params.length > 0) op.parameters = params;
  if (route.public) op.security = [];
  if (route.body !== undefined) {
    // An empty body is read as {}; where that is valid, the body may be left out.
    const required = !route.body.safeParse({}).success;
    op.requestBody = { required, content: { 'application/json': { schema: toSchema(route.body, 'input', defs) } } };
  } else if (route.rawBody !== undefined) {
    const schema = { type: 'string', format: 'binary' };
    op.requestBody = {
      required: true,
      description: route.rawBody.description,
      content: Object.fromEntries(route.rawBody.mediaTypes.map((type) => [type, { schema }])),
    };
  }
  const success: Record<string, unknown> = { description: STATUS_CODES[route.status] ?? 'OK' };
  if (route.response !== undefined) {
    success.content = { [route.mediaType ?? 'application/json']: { schema: toSchema(route.response, 'output', defs) } };
  }
  const error = { $ref: '#/components/responses/Error' };
  op.responses = { [String(route.status)]: success, '4XX': error, '5XX': error };
  return op;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query', defs: Record<string, JsonSchema>): unknown[] {
  if (schema === undefined) return [];
  const object = toSchema(schema, 'input', defs);
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
  }));
}

/** One schema as JSON Schema; registered components go to `defs` and are referenced. */
function toSchema(schema: z.ZodType, io: 'input' | 'output', defs: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { metadata: components, io, target: 'draft-2020-12', override: tidy }) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = json;
  for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
    const component = rewriteRefs(def) as JsonSchema;
    const known = defs[id];
    if (known !== undefined && !isDeepStrictEqual(known, component)) {
      // A component used as input and as output would differ (additionalProperties).
      throw new Error(`OpenAPI component ${id} has two different JSON Schemas`);
    }
    defs[id] = component;
  }
  return rewriteRefs(rest) as JsonSchema;
}

/** Drops what only adds noise to the document: zod's date-time regex and safe-integer bounds. */
function tidy({ jsonSchema }: { jsonSchema: JsonSchema }): void {
  if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
  if (jsonSchema.type === 'integer') {
    if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' && inner.startsWith(DEFS)
        ? `${COMPONENT_SCHEMAS}${inner.slice(DEFS.length)}`
        : rewriteRefs(inner),
    ]),
  );
}
