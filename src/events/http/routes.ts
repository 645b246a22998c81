import { LaambdaError } from '../../core/errors.ts';

/** The methods a route key may name; `ANY` matches every method not named by a more specific route. */
export const ROUTE_METHODS = ['ANY', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];

export type RouteSegment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

/** A parsed route key: `GET /pets/{id}`, `ANY /files/{proxy+}` or `$default`. */
export interface Route {
  /** The key as written, e.g. `GET /pets/{id}`; events carry it as `routeKey`. */
  key: string;
  method: RouteMethod;
  /** The resource path (`/pets/{id}`); `$default` has none. */
  path: string | undefined;
  segments: RouteSegment[];
  isDefault: boolean;
}

export interface RouteDefinition<T> {
  routeKey: string;
  target: T;
}

export interface RouteMatch<T> {
  route: Route;
  target: T;
  /** URL-decoded values by name; empty for routes without variables. */
  pathParameters: Record<string, string>;
}

export interface Router<T> {
  /** The most specific route for the request, as API Gateway picks it, or undefined (404). */
  match(method: string, path: string): RouteMatch<T> | undefined;
  readonly routes: readonly Route[];
}

const ROUTE_INVALID = 'ERR_HTTP_ROUTE_INVALID' as const;

const VARIABLE = /^\{([A-Za-z0-9_.-]+)(\+?)\}$/;

function invalid(key: string, expected: string): LaambdaError {
  return new LaambdaError(ROUTE_INVALID, `Invalid route "${key}": ${expected}`, { details: { route: key } });
}

/** Parse and validate one route key. Throws a LaambdaError naming the route and what is expected. */
export function parseRoute(key: string): Route {
  const trimmed = key.trim();
  if (trimmed === '$default') {
    return { key: '$default', method: 'ANY', path: undefined, segments: [], isDefault: true };
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 2) {
    throw invalid(key, 'expected "METHOD /path" (e.g. "GET /pets/{id}") or "$default"');
  }
  const [rawMethod = '', path = ''] = parts;
  const method = rawMethod.toUpperCase();
  if (!isRouteMethod(method)) {
    throw invalid(key, `unknown method "${rawMethod}"; expected one of ${ROUTE_METHODS.join(', ')}`);
  }
  return { key: `${method} ${path}`, method, path, segments: parsePath(key, path), isDefault: false };
}

function isRouteMethod(value: string): value is RouteMethod {
  return (ROUTE_METHODS as readonly string[]).includes(value);
}

function parsePath(key: string, path: string): RouteSegment[] {
  if (!path.startsWith('/')) throw invalid(key, `the path "${path}" must start with /`);
  if (path === '/') return [];
  const raw = path.slice(1).split('/');
  const names = new Set<string>();
  return raw.map((part, index) => {
    if (part === '') throw invalid(key, 'the path has an empty segment (// or a trailing /)');
    const variable = VARIABLE.exec(part);
    if (variable === null) {
      if (part.includes('{') || part.includes('}')) {
        throw invalid(key, `segment "${part}" must be a whole variable like {name} or {name+}, or contain no braces`);
      }
      return { kind: 'literal', value: part };
    }
    const name = variable[1] ?? '';
    if (names.has(name)) throw invalid(key, `the variable {${name}} appears twice`);
    names.add(name);
    if (variable[2] === '+') {
      if (index !== raw.length - 1) throw invalid(key, `the greedy variable {${name}+} must be the last segment`);
      return { kind: 'greedy', name };
    }
    return { kind: 'param', name };
  });
}

/** The same route shape regardless of variable names: `GET /a/{x}` and `GET /a/{y}` collide. */
function shapeOf(route: Route): string {
  if (route.isDefault) return '$default';
  const shape = route.segments.map((s) => (s.kind === 'literal' ? `=${s.value}` : s.kind === 'param' ? '{}' : '{+}'));
  return `${route.method} /${shape.join('/')}`;
}

const SEGMENT_RANK = { literal: 0, param: 1, greedy: 2 } as const;

/**
 * Negative when `a` is more specific: segment by segment, a literal beats `{param}`, which
 * beats `{proxy+}`; then a named method beats ANY; `$default` comes last.
 */
export function compareRoutes(a: Route, b: Route): number {
  if (a.isDefault !== b.isDefault) return a.isDefault ? 1 : -1;
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const left = a.segments[i];
    const right = b.segments[i];
    // Among routes matching one path, the shorter one ended on a greedy variable already.
    if (left === undefined || right === undefined) return left === undefined ? 1 : -1;
    const diff = SEGMENT_RANK[left.kind] - SEGMENT_RANK[right.kind];
    if (diff !== 0) return diff;
  }
  if (a.method !== b.method) return a.method === 'ANY' ? 1 : b.method === 'ANY' ? -1 : 0;
  return 0;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape (`%zz`) reaches the function as sent rather than failing the request.
    return value;
  }
}

function matchPath(route: Route, parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i]!;
    const part = parts[i];
    if (segment.kind === 'greedy') {
      // {proxy+} needs at least one segment: `/files/{proxy+}` does not match `/files`.
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.every((p) => p === '')) return undefined;
      params[segment.name] = rest.map(decode).join('/');
      return params;
    }
    if (part === undefined || part === '') return undefined;
    if (segment.kind === 'literal') {
      if (decode(part) !== segment.value) return undefined;
    } else {
      params[segment.name] = decode(part);
    }
  }
  return parts.length === route.segments.length ? params : undefined;
}

function splitPath(path: string): string[] {
  const clean = path.split('?')[0] ?? '';
  const trimmed = clean.startsWith('/') ? clean.slice(1) : clean;
  return trimmed === '' ? [] : trimmed.split('/');
}

/** Build a router over route keys; throws on an invalid or duplicate key. */
export function createRouter<T>(definitions: Iterable<RouteDefinition<T>>): Router<T> {
  const entries: Array<{ route: Route; target: T }> = [];
  const seen = new Map<string, string>();
  for (const { routeKey, target } of definitions) {
    const route = parseRoute(routeKey);
    const shape = shapeOf(route);
    const earlier = seen.get(shape);
    if (earlier !== undefined) throw invalid(routeKey, `it overlaps the route "${earlier}"; each method and path may be declared once`);
    seen.set(shape, route.key);
    entries.push({ route, target });
  }
  entries.sort((a, b) => compareRoutes(a.route, b.route));
  return {
    routes: entries.map((e) => e.route),
    match(method, path) {
      const verb = method.toUpperCase();
      const parts = splitPath(path);
      for (const { route, target } of entries) {
        if (route.method !== 'ANY' && route.method !== verb) continue;
        if (route.isDefault) return { route, target, pathParameters: {} };
        const pathParameters = matchPath(route, parts);
        if (pathParameters !== undefined) return { route, target, pathParameters };
      }
      return undefined;
    },
  };
}
