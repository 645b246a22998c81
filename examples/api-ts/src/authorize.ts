import type { AuthorizerEvent, SimpleAuthorizerResult } from './types.ts';

// A Lambda authorizer with simple responses: `Authorization: Bearer <user>-token` is allowed and
// names the user; anything else is denied (API Gateway answers 403 without calling the route).
// API Gateway answers 401 itself when the header is missing.
export const handler = async (event: AuthorizerEvent): Promise<SimpleAuthorizerResult> => {
  const [token = ''] = event.identitySource;
  const match = /^Bearer ([a-z]+)-token$/.exec(token);
  if (match === null) return { isAuthorized: false };
  return { isAuthorized: true, context: { user: match[1] as string, plan: 'free' } };
};
