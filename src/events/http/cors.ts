import type { CorsConfig } from '../../core/app.ts';
import type { HttpResponse } from './response.ts';

// HTTP API CORS: when an API has a CORS configuration the gateway answers preflight requests
// itself and sets the CORS headers on every response, replacing any the function returned.

function headerOf(headers: Array<[string, string]>, name: string): string | undefined {
  for (const [key, value] of headers) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** The value for `access-control-allow-origin`, or undefined when the origin is not allowed. */
function allowedOrigin(cors: CorsConfig, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  if (cors.allowOrigins.includes('*')) return '*';
  const lower = origin.toLowerCase();
  const matches = cors.allowOrigins.some((allowed) => {
    const pattern = allowed.toLowerCase();
    // `https://*.example.com` allows any subdomain, as HTTP API does.
    if (pattern.includes('://*.')) {
      const [scheme = '', host = ''] = pattern.split('://*.');
      return lower.startsWith(`${scheme}://`) && lower.endsWith(`.${host}`);
    }
    return pattern === lower;
  });
  return matches ? origin : undefined;
}

function isPreflight(method: string, headers: Array<[string, string]>): boolean {
  return (
    method === 'OPTIONS' &&
    headerOf(headers, 'origin') !== undefined &&
    headerOf(headers, 'access-control-request-method') !== undefined
  );
}

/** Answers a CORS preflight request, or returns undefined when the request is not one. */
export function preflightResponse(
  cors: CorsConfig | undefined,
  method: string,
  headers: Array<[string, string]>,
): HttpResponse | undefined {
  if (cors === undefined || !isPreflight(method, headers)) return undefined;
  const response: HttpResponse = { statusCode: 204, headers: [], body: Buffer.alloc(0) };
  const origin = allowedOrigin(cors, headerOf(headers, 'origin'));
  if (origin === undefined) return response;
  const requestedMethod = (headerOf(headers, 'access-control-request-method') ?? '').toUpperCase();
  const methods = cors.allowMethods.map((m) => m.toUpperCase());
  if (!methods.includes('*') && !methods.includes(requestedMethod)) return response;
  const out = response.headers;
  out.push(['access-control-allow-origin', origin]);
  out.push(['access-control-allow-methods', methods.includes('*') ? requestedMethod : methods.join(',')]);
  const requestedHeaders = headerOf(headers, 'access-control-request-headers');
  if (cors.allowHeaders.includes('*') && requestedHeaders !== undefined) {
    out.push(['access-control-allow-headers', requestedHeaders]);
  } else if (cors.allowHeaders.length > 0) {
    out.push(['access-control-allow-headers', cors.allowHeaders.join(',')]);
  }
  if (cors.allowCredentials) out.push(['access-control-allow-credentials', 'true']);
  if (cors.maxAge !== undefined) out.push(['access-control-max-age', String(cors.maxAge)]);
  if (origin !== '*') out.push(['vary', 'Origin']);
  return response;
}

const CORS_HEADER = /^access-control-/i;

/** Sets the CORS headers of an actual (non-preflight) request on the response. */
export function applyCors(
  cors: CorsConfig | undefined,
  requestHeaders: Array<[string, string]>,
  response: HttpResponse,
): HttpResponse {
  if (cors === undefined) return response;
  const headers = response.headers.filter(([name]) => !CORS_HEADER.test(name));
  const origin = allowedOrigin(cors, headerOf(requestHeaders, 'origin'));
  if (origin !== undefined) {
    headers.push(['access-control-allow-origin', origin]);
    if (cors.allowCredentials) headers.push(['access-control-allow-credentials', 'true']);
    if (cors.exposeHeaders.length > 0) headers.push(['access-control-expose-headers', cors.exposeHeaders.join(',')]);
    if (origin !== '*') headers.push(['vary', 'Origin']);
  }
  return { ...response, headers };
}
