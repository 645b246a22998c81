// App config: the environment every function of the app sees.
import { z } from 'zod';
import { AppParams } from './params.ts';
import { route, type Route } from './route.ts';
import { Config, ConfigRelease } from './schemas.ts';
import { releaseJson } from './views.ts';

const ConfigChanges = z.record(z.string(), z.string().nullable());

export const configRoutes: Route[] = [
  route(
    { id: 'config.get', method: 'GET', path: '/apps/{app}/config', summary: "The app's environment, decrypted", tag: 'config', params: AppParams, status: 200, response: Config },
    async ({ services, principal, params }) => services.config.get(principal, params.app),
  ),
  route(
    {
      id: 'config.update',
      method: 'PATCH',
      path: '/apps/{app}/config',
      summary: 'Set keys (null unsets them) as a new release',
      tag: 'config',
      params: AppParams,
      body: ConfigChanges,
      status: 200,
      response: ConfigRelease,
    },
    async ({ services, principal, params, body }) => {
      const { config, release } = await services.config.update(principal, params.app, body);
      return { config, release: releaseJson(release) };
    },
  ),
  route(
    {
      id: 'config.clear',
      method: 'DELETE',
      path: '/apps/{app}/config',
      summary: 'Unset every key as a new release',
      tag: 'config',
      params: AppParams,
      status: 200,
      response: ConfigRelease,
    },
    async ({ services, principal, params }) => {
      const { config, release } = await services.config.clear(principal, params.app);
      return { config, release: releaseJson(release) };
    },
  ),
];
