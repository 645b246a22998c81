import { createHash } from 'node:crypto';
import type { Route } from './routes.ts';

/** An incoming HTTP request as the gateway saw it, before any AWS shaping. */
export interface HttpRequest {
  method: string;
  /** The path as sent, still percent-encoded, without the query string. */
  rawPath: string;
  /** Everything after `?`, as sent (no leading `?`). */
  rawQueryString: string;
  /** Raw header pairs in arrival order; a name may repeat. */
  headers: Array<[string, string]>;
  body: Buffer;
  sourceIp: string;
  requestId: string;
  time: Date;
  stage: string;
  domainName: string;
  route: Route;
  pathParameters: Record<string, string>;
  stageVariables?: Record<string, string>;
  /** Defaults to `HTTP/1.1`. */
  protocol?: string;
  /** Defaults to laambda's local account `123456789012`. */
  accountId?: string;
  /** Defaults to the first label of `domainName`, as on execute-api domains. */
  apiId?: string;
  /** What an authorizer let through, placed as is at `requestContext.authorizer`. */
  authorizer?: Record<string, unknown>;
}

const DEFAULT_ACCOUNT_ID = '123456789012';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's request time: `12/Mar/2020:19:03:58 +0000`, always UTC. */
export function formatRequestTime(time: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = pad(time.getUTCDate());
  const month = MONTHS[time.getUTCMonth()];
  const clock = `${pad(time.getUTCHours())}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())}`;
  return `${day}/${month}/${time.getUTCFullYear()}:${clock} +0000`;
}

const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/javascript',
  'application/ecmascript',
  'application/x-javascript',
]);

/** Whether a body of this content type reaches the function as text rather than base64. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml');
}

function encodeBody(body: Buffer, contentType: string | undefined): { body: string; isBase64Encoded: boolean } {
  return isTextContentType(contentType)
    ? { body: body.toString('utf8'), isBase64Encoded: false }
    : { body: body.toString('base64'), isBase64Encoded: true };
}

function lastHeader(headers: Array<[string, string]>, name: string): string | undefined {
  let found: string | undefined;
  for (const [key, value] of headers) if (key.toLowerCase() === name) found = value;
  return found;
}

function decodeQueryPart(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}

/** Query pairs in order, decoded; `?a` gives `['a', '']`. */
export function parseQuery(raw: string): Array<[string, string]> {
  if (raw === '') return [];
  return raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq === -1 ? [decodeQueryPart(part), ''] : [decodeQueryPart(part.slice(0, eq)), decodeQueryPart(part.slice(eq + 1))];
    });
}

function groupValues(pairs: Array<[string, string]>, keyOf: (name: string) => string = (n) => n): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const key = keyOf(name);
    const values = grouped.get(key);
    if (values === undefined) grouped.set(key, [value]);
    else values.push(value);
  }
  return grouped;
}

function nonEmpty<V>(record: Record<string, V> | undefined): Record<string, V> | undefined {
  return record !== undefined && Object.keys(record).length > 0 ? record : undefined;
}

function apiIdentity(request: HttpRequest) {
  const domainPrefix = request.domainName.split('.')[0] ?? request.domainName;
  return {
    accountId: request.accountId ?? DEFAULT_ACCOUNT_ID,
    apiId: request.apiId ?? domainPrefix,
    domainName: request.domainName,
    domainPrefix,
  };
}

/** The HTTP API payload format 2.0 event. */
export function buildV2Event(request: HttpRequest): Record<string, unknown> {
  // Cookies travel in their own field and not among the headers.
  const cookies = request.headers
    .filter(([name]) => name.toLowerCase() === 'cookie')
    .flatMap(([, value]) => value.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
  const headerPairs = request.headers.filter(([name]) => name.toLowerCase() !== 'cookie');
  const headers = Object.fromEntries(
    [...groupValues(headerPairs, (name) => name.toLowerCase())].map(([name, values]) => [name, values.join(',')]),
  );
  const query = Object.fromEntries([...groupValues(parseQuery(request.rawQueryString))].map(([k, v]) => [k, v.join(',')]));
  const routeKey = request.route.key;
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey,
    rawPath: request.rawPath,
    rawQueryString: request.rawQueryString,
  };
  if (cookies.length > 0) event.cookies = cookies;
  event.headers = headers;
  if (nonEmpty(query)) event.queryStringParameters = query;
  event.requestContext = {
    ...apiIdentity(request),
    http: {
      method: request.method.toUpperCase(),
      path: request.rawPath,
      protocol: request.protocol ?? 'HTTP/1.1',
      sourceIp: request.sourceIp,
      userAgent: lastHeader(request.headers, 'user-agent') ?? '',
    },
    requestId: request.requestId,
    routeKey,
    stage: request.stage,
    ...(request.authorizer === undefined ? {} : { authorizer: request.authorizer }),
    time: formatRequestTime(request.time),
    timeEpoch: request.time.getTime(),
  };
  // An empty body is left out altogether in 2.0 (1.0 sends null).
  if (request.body.length > 0) Object.assign(event, encodeBody(request.body, lastHeader(request.headers, 'content-type')));
  if (nonEmpty(request.pathParameters)) event.pathParameters = request.pathParameters;
  event.isBase64Encoded ??= false;
  if (nonEmpty(request.stageVariables)) event.stageVariables = request.stageVariables;
  return event;
}

/** A stable REST-style resource id (`roq9wj`-like) for a resource path. */
function resourceIdOf(resourcePath: string): string {
  return createHash('sha1').update(resourcePath).digest('hex').slice(0, 6);
}

const NULL_IDENTITY = {
  cognitoIdentityPoolId: null,
  accountId: null,
  cognitoIdentityId: null,
  caller: null,
  apiKey: null,
  principalOrgId: null,
  accessKey: null,
  cognitoAuthenticationType: null,
  cognitoAuthenticationProvider: null,
  userArn: null,
  user: null,
};

/** The REST API (payload format 1.0) proxy event. */
export function buildV1Event(request: HttpRequest): Record<string, unknown> {
  const multiValueHeaders = Object.fromEntries(groupValues(request.headers));
  const headers = Object.fromEntries([...groupValues(request.headers)].map(([name, values]) => [name, values.at(-1) ?? '']));
  const multiQuery = Object.fromEntries(groupValues(parseQuery(request.rawQueryString)));
  const query = Object.fromEntries(Object.entries(multiQuery).map(([name, values]) => [name, values.at(-1) ?? '']));
  const resource = request.route.path ?? request.rawPath;
  const method = request.method.toUpperCase();
  const encoded = request.body.length > 0 ? encodeBody(request.body, lastHeader(request.headers, 'content-type')) : undefined;
  return {
    resource,
    path: request.rawPath,
    httpMethod: method,
    headers: nonEmpty(headers) ?? null,
    multiValueHeaders: nonEmpty(multiValueHeaders) ?? null,
    queryStringParameters: nonEmpty(query) ?? null,
    multiValueQueryStringParameters: nonEmpty(multiQuery) ?? null,
    pathParameters: nonEmpty(request.pathParameters) ?? null,
    stageVariables: nonEmpty(request.stageVariables) ?? null,
    requestContext: {
      ...apiIdentity(request),
      resourceId: resourceIdOf(resource),
      resourcePath: resource,
      httpMethod: method,
      extendedRequestId: request.requestId,
      // REST puts the stage in front of the path here (`/test/hello`), not in the top-level `path`.
      path: request.stage === '$default' ? request.rawPath : `/${request.stage}${request.rawPath}`,
      protocol: request.protocol ?? 'HTTP/1.1',
      stage: request.stage,
      requestId: request.requestId,
      requestTime: formatRequestTime(request.time),
      requestTimeEpoch: request.time.getTime(),
      identity: { ...NULL_IDENTITY, sourceIp: request.sourceIp, userAgent: lastHeader(request.headers, 'user-agent') ?? null },
      ...(request.authorizer === undefined ? {} : { authorizer: request.authorizer }),
    },
    body: encoded?.body ?? null,
    isBase64Encoded: encoded?.isBase64Encoded ?? false,
  };
}

export type PayloadVersion = '1.0' | '2.0';

/** Build the event for the route's payload format version. */
export function buildEvent(version: PayloadVersion, request: HttpRequest): Record<string, unknown> {
  return version === '1.0' ? buildV1Event(request) : buildV2Event(request);
}
