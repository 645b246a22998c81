// API tokens. Admin tokens may do everything; app tokens only their app.
import { z } from 'zod';
import { route, type Route } from './route.ts';
import { CreatedToken, TokenInfo } from './schemas.ts';
import { tokenJson } from './views.ts';

const CreateToken = z.strictObject({ name: z.string().optional(), app: z.string().optional() });

const TokenParams = z.object({ id: z.string().min(1) });

export const tokenRoutes: Route[] = [
  route(
    { id: 'tokens.list', method: 'GET', path: '/tokens', summary: "Tokens (admin: all; app token: its app's)", tag: 'tokens', status: 200, response: z.array(TokenInfo) },
    async ({ services, principal }) => (await services.tokens.list(principal)).map(tokenJson),
  ),
  route(
    {
      id: 'tokens.create',
      method: 'POST',
      path: '/tokens',
      summary: 'Create a token (admin); the plain token is shown only in this answer',
      tag: 'tokens',
      body: CreateToken,
      status: 201,
      response: CreatedToken,
    },
    async ({ services, principal, body }) => tokenJson(await services.tokens.create(principal, body)),
  ),
  route(
    { id: 'tokens.revoke', method: 'DELETE', path: '/tokens/{id}', summary: 'Revoke a token', tag: 'tokens', params: TokenParams, status: 204 },
    async ({ services, principal, params }) => {
      await services.tokens.revoke(principal, params.id);
    },
  ),
];
