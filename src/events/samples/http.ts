import {
  ACCOUNT_ID,
  DEFAULT_REGION,
  clfTime,
  hex,
  lowerAlnum,
  type SampleContext,
  type SampleValues,
} from './context.ts';

const USER_AGENT = 'curl/8.5.0';
const SOURCE_IP = '192.0.2.1';

/** The parts of a request every HTTP-shaped event is built from. */
export interface SampleRequest {
  method: string;
  path: string;
  query: string;
  body: string | undefined;
  region: string;
}

export function requestOf(values: SampleValues): SampleRequest {
  const path = values.path ?? '/';
  return {
    method: (values.method ?? 'GET').toUpperCase(),
    path: path.startsWith('/') ? path : `/${path}`,
    query: (values.query ?? '').replace(/^\?/, ''),
    body: values.body,
    region: values.region ?? DEFAULT_REGION,
  };
}

/** Query parameters by name, every value kept in order. */
export function queryPairs(query: string): Map<string, string[]> {
  const pairs = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(query)) pairs.set(name, [...(pairs.get(name) ?? []), value]);
  return pairs;
}

function contentType(body: string): string {
  try {
    JSON.parse(body);
    return 'application/json';
  } catch {
    return 'text/plain';
  }
}

/** Lower-case request headers as a client behind an AWS front door would send them. */
function baseHeaders(ctx: SampleContext, host: string, request: SampleRequest): Record<string, string> {
  const traceId = `Root=1-${Math.floor(ctx.now.getTime() / 1000).toString(16)}-${hex(ctx, 12)}`;
  return {
    accept: '*/*',
    ...(request.body === undefined
      ? {}
      : { 'content-length': String(Buffer.byteLength(request.body)), 'content-type': contentType(request.body) }),
    host,
    'user-agent': USER_AGENT,
    'x-amzn-trace-id': traceId,
    'x-forwarded-for': SOURCE_IP,
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
}

/** HTTP API, payload format 2.0. Absent parts (cookies, query, body) are left out, as AWS does. */
export function apigwV2Event(values: SampleValues, ctx: SampleContext) {
  const request = requestOf(values);
  const apiId = lowerAlnum(ctx, 10);
  const domainName = `${apiId}.execute-api.${request.region}.amazonaws.com`;
  const query = queryPairs(request.query);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.query,
    headers: baseHeaders(ctx, domainName, request),
    ...(query.size === 0
      ? {}
      : { queryStringParameters: Object.fromEntries([...query].map(([name, list]) => [name, list.join(',')])) }),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId,
      domainName,
      domainPrefix: apiId,
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: SOURCE_IP, userAgent: USER_AGENT },
      requestId: `${ctx.bytes(11).toString('base64').slice(0, 15)}=`,
      routeKey: '$default',
      stage: '$default',
      time: clfTime(ctx.now),
      timeEpoch: ctx.now.getTime(),
    },
    ...(request.body === undefined ? {} : { body: request.body }),
    isBase64Encoded: false,
  };
}

/** REST API proxy integration, payload format 1.0: absent parts are null, headers keep their case. */
export function apigwV1Event(values: SampleValues, ctx: SampleContext) {
  const request = requestOf(values);
  const apiId = lowerAlnum(ctx, 10);
  const domainName = `${apiId}.execute-api.${request.region}.amazonaws.com`;
  const stage = 'prod';
  const isRoot = request.path === '/';
  const resource = isRoot ? '/' : '/{proxy+}';
  const headers = Object.fromEntries(
    Object.entries(baseHeaders(ctx, domainName, request)).map(([name, value]) => [titleCase(name), value]),
  );
  const query = queryPairs(request.query);
  return {
    resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    // Single-value parameters keep the last value, as API Gateway does.
    queryStringParameters: query.size === 0 ? null : Object.fromEntries([...query].map(([name, list]) => [name, list.at(-1)])),
    multiValueQueryStringParameters: query.size === 0 ? null : Object.fromEntries(query),
    pathParameters: isRoot ? null : { proxy: request.path.slice(1) },
    stageVariables: null,
    requestContext: {
      resourceId: lowerAlnum(ctx, 6),
      resourcePath: resource,
      httpMethod: request.method,
      extendedRequestId: `${ctx.bytes(11).toString('base64').slice(0, 15)}=`,
      requestTime: clfTime(ctx.now),
      path: `/${stage}${request.path}`,
      accountId: ACCOUNT_ID,
      protocol: 'HTTP/1.1',
      stage,
      domainPrefix: apiId,
      requestTimeEpoch: ctx.now.getTime(),
      requestId: ctx.uuid(),
      identity: {
        cognitoIdentityPoolId: null,
        accountId: null,
        cognitoIdentityId: null,
        caller: null,
        sourceIp: SOURCE_IP,
        principalOrgId: null,
        accessKey: null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: null,
        userAgent: USER_AGENT,
        user: null,
      },
      domainName,
      apiId,
    },
    body: request.body ?? null,
    isBase64Encoded: false,
  };
}

function titleCase(header: string): string {
  return header.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`);
}

/** Application Load Balancer target group request (multi-value headers off). */
export function albEvent(values: SampleValues, ctx: SampleContext) {
  const request = requestOf(values);
  const host = `lambda-${lowerAlnum(ctx, 9)}.${request.region}.elb.amazonaws.com`;
  // The load balancer passes query values as the client sent them, without URL-decoding.
  const queryStringParameters: Record<string, string> = {};
  for (const part of request.query.split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq === -1) queryStringParameters[part] = '';
    else queryStringParameters[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return {
    requestContext: {
      elb: {
        targetGroupArn: `arn:aws:elasticloadbalancing:${request.region}:${ACCOUNT_ID}:targetgroup/my-target-group/${hex(ctx, 8)}`,
      },
    },
    httpMethod: request.method,
    path: request.path,
    queryStringParameters,
    headers: { ...baseHeaders(ctx, host, request), 'x-forwarded-port': '80', 'x-forwarded-proto': 'http' },
    body: request.body ?? '',
    isBase64Encoded: false,
  };
}
