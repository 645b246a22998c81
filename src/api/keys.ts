// AWS access keys of an app (for its functions' SDK calls and for clients outside).
import { z } from 'zod';
import { AppParams, appName } from './params.ts';
import { route, type Route } from './route.ts';
import { CreatedKey, KeyInfo } from './schemas.ts';
import { keyJson } from './views.ts';

const KeyParams = z.object({ app: appName, id: z.string().min(1) });

export const keyRoutes: Route[] = [
  route(
    { id: 'keys.list', method: 'GET', path: '/apps/{app}/keys', summary: 'AWS access keys of the app', tag: 'keys', params: AppParams, status: 200, response: z.array(KeyInfo) },
    async ({ services, principal, params }) => (await services.keys.list(principal, params.app)).map(keyJson),
  ),
  route(
    {
      id: 'keys.create',
      method: 'POST',
      path: '/apps/{app}/keys',
      summary: 'A new access key; the secret is shown only in this answer',
      tag: 'keys',
      params: AppParams,
      status: 201,
      response: CreatedKey,
    },
    async ({ services, principal, params }) => keyJson(await services.keys.create(principal, params.app)),
  ),
  route(
    { id: 'keys.revoke', method: 'DELETE', path: '/apps/{app}/keys/{id}', summary: 'Revoke an access key', tag: 'keys', params: KeyParams, status: 204 },
    async ({ services, principal, params }) => {
      await services.keys.revoke(principal, params.app, params.id);
    },
  ),
];
