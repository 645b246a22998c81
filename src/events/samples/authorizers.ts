import { ACCOUNT_ID, lowerAlnum, type SampleContext, type SampleValues } from './context.ts';
import { queryPairs, requestOf } from './http.ts';

const STAGE = 'test';

/** REST API Lambda authorizer, TOKEN type: the token from the identity source header and the method ARN. */
export function authorizerTokenEvent(values: SampleValues, ctx: SampleContext) {
  const request = requestOf(values);
  const methodArn =
    values.methodArn ?? `arn:aws:execute-api:${request.region}:${ACCOUNT_ID}:${lowerAlnum(ctx, 10)}/${STAGE}/${request.method}${request.path}`;
  return { type: 'TOKEN', authorizationToken: values.token ?? 'allow', methodArn };
}

/** REST API Lambda authorizer, REQUEST type: the request's headers, query, path and context. */
export function authorizerRequestEvent(values: SampleValues, ctx: SampleContext) {
  const request = requestOf(values);
  const apiId = lowerAlnum(ctx, 10);
  const methodArn = values.methodArn ?? `arn:aws:execute-api:${request.region}:${ACCOUNT_ID}:${apiId}/${STAGE}/${request.method}${request.path}`;
  const query = queryPairs(request.query);
  return {
    type: 'REQUEST',
    methodArn,
    resource: request.path,
    path: request.path,
    httpMethod: request.method,
    headers: {
      Accept: '*/*',
      ...(values.token === undefined ? {} : { Authorization: values.token }),
      Host: `${apiId}.execute-api.${request.region}.amazonaws.com`,
      'User-Agent': 'curl/8.5.0',
      'X-Forwarded-For': '192.0.2.1',
      'X-Forwarded-Port': '443',
      'X-Forwarded-Proto': 'https',
    },
    queryStringParameters: Object.fromEntries([...query].map(([name, list]) => [name, list.at(-1)])),
    pathParameters: {},
    stageVariables: {},
    requestContext: {
      path: `/${STAGE}${request.path}`,
      accountId: ACCOUNT_ID,
      resourceId: lowerAlnum(ctx, 6),
      stage: STAGE,
      requestId: ctx.uuid(),
      identity: { apiKey: null, sourceIp: '192.0.2.1' },
      resourcePath: request.path,
      httpMethod: request.method,
      apiId,
    },
  };
}
