import { buildV2Event, type HttpRequest } from '../payload.ts';

const DEFAULT_REGION = 'us-east-1';
const EXECUTE_API_HOST = /^[^.]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i;

/** What the authorizers read off a request, derived the way the route events derive it. */
export interface RequestInfo {
  request: HttpRequest;
  /** The 2.0 event of the request without its body: the base of the 2.0 authorizer event. */
  v2: Record<string, unknown>;
  region: string;
  accountId: string;
  apiId: string;
  /** `arn:aws:execute-api:REGION:ACCOUNT:APIID/STAGE/METHOD/path`: methodArn (REST, 1.0) or routeArn (2.0). */
  arn: string;
  /** `$context.*` variables an identity source may name. */
  contextVariables: Record<string, string>;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** The region of an execute-api host name (`abc.execute-api.eu-west-1.amazonaws.com`), else us-east-1. */
export function regionOf(domainName: string): string {
  return EXECUTE_API_HOST.exec(domainName)?.[1]?.toLowerCase() ?? DEFAULT_REGION;
}

/** Gather once per request what the identity sources, the ARN and the events need. */
export function requestInfo(request: HttpRequest): RequestInfo {
  // The authorizer never sees the body, nor an earlier authorizer's result.
  const bare: HttpRequest = { ...request, body: Buffer.alloc(0), authorizer: undefined };
  const v2 = buildV2Event(bare);
  delete v2.body;
  delete v2.isBase64Encoded;
  const ctx = record(v2.requestContext);
  const http = record(ctx.http);
  const region = regionOf(request.domainName);
  const accountId = text(ctx.accountId);
  const apiId = text(ctx.apiId);
  const method = request.method.toUpperCase();
  const path = request.rawPath.startsWith('/') ? request.rawPath : `/${request.rawPath}`;
  return {
    request: bare,
    v2,
    region,
    accountId,
    apiId,
    arn: `arn:aws:execute-api:${region}:${accountId}:${apiId}/${request.stage}/${method}${path}`,
    contextVariables: {
      accountId,
      apiId,
      domainName: text(ctx.domainName),
      domainPrefix: text(ctx.domainPrefix),
      extendedRequestId: request.requestId,
      httpMethod: method,
      'identity.sourceIp': text(http.sourceIp),
      'identity.userAgent': text(http.userAgent),
      path: request.rawPath,
      protocol: text(http.protocol),
      requestId: request.requestId,
      requestTime: text(ctx.time),
      requestTimeEpoch: text(ctx.timeEpoch),
      resourcePath: request.route.path ?? request.rawPath,
      routeKey: request.route.key,
      stage: request.stage,
    },
  };
}
