// The few API Gateway (HTTP API, payload 2.0) shapes this example uses. In a real project,
// `npm i -D @types/aws-lambda` gives the complete ones; the handlers run the same either way.

export interface HttpEvent {
  routeKey: string;
  rawPath: string;
  headers: Record<string, string | undefined>;
  pathParameters?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: {
    requestId: string;
    authorizer?: { lambda?: Record<string, unknown> };
  };
}

export interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

export interface AuthorizerEvent {
  type: 'REQUEST';
  routeArn: string;
  identitySource: string[];
  headers: Record<string, string | undefined>;
}

export interface SimpleAuthorizerResult {
  isAuthorized: boolean;
  context?: Record<string, string | number | boolean>;
}
