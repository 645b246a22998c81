import { buildV1Event } from '../payload.ts';
import type { RequestInfo } from './request-info.ts';
import type { ApiFlavor } from './types.ts';

/** REST TOKEN authorizer input: the token and the method ARN. */
export function tokenEvent(info: RequestInfo, token: string): Record<string, unknown> {
  return { type: 'TOKEN', authorizationToken: token, methodArn: info.arn };
}

function orEmpty(value: unknown): unknown {
  return value === null || value === undefined ? {} : value;
}

/**
 * REQUEST authorizer input in payload format 1.0: the REST proxy event's request parts (no body)
 * with the method ARN. An HTTP API adds `version` and the identity source values comma-joined.
 */
export function requestEventV1(info: RequestInfo, flavor: ApiFlavor, identity: readonly string[]): Record<string, unknown> {
  const v1 = buildV1Event(info.request);
  const joined = identity.join(',');
  return {
    ...(flavor === 'http' ? { version: '1.0' } : {}),
    type: 'REQUEST',
    methodArn: info.arn,
    ...(flavor === 'http' && identity.length > 0 ? { identitySource: joined, authorizationToken: joined } : {}),
    resource: v1.resource,
    path: v1.path,
    httpMethod: v1.httpMethod,
    // Authorizer events carry empty maps where the proxy event carries null.
    headers: orEmpty(v1.headers),
    multiValueHeaders: orEmpty(v1.multiValueHeaders),
    queryStringParameters: orEmpty(v1.queryStringParameters),
    multiValueQueryStringParameters: orEmpty(v1.multiValueQueryStringParameters),
    pathParameters: orEmpty(v1.pathParameters),
    stageVariables: orEmpty(v1.stageVariables),
    requestContext: v1.requestContext,
  };
}

/** REQUEST authorizer input in payload format 2.0: the 2.0 event without its body, plus the route ARN. */
export function requestEventV2(info: RequestInfo, identity: readonly string[]): Record<string, unknown> {
  const { version: _version, routeKey, rawPath, rawQueryString, ...rest } = info.v2;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: info.arn,
    ...(identity.length > 0 ? { identitySource: [...identity] } : {}),
    routeKey,
    rawPath,
    rawQueryString,
    ...rest,
  };
}
