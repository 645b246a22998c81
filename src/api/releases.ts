// Releases and rollback.
import { z } from 'zod';
import { AppParams, appName, releaseVersion } from './params.ts';
import { route, type Route } from './route.ts';
import { Release, ReleaseInfo } from './schemas.ts';
import { releaseInfoJson, releaseJson } from './views.ts';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });

const ReleaseParams = z.object({ app: appName, version: releaseVersion });

const RollbackBody = z.strictObject({ version: z.union([z.int().min(1), releaseVersion]).optional() });

export const releaseRoutes: Route[] = [
  route(
    {
      id: 'releases.list',
      method: 'GET',
      path: '/apps/{app}/releases',
      summary: 'Releases, newest first',
      tag: 'releases',
      params: AppParams,
      query: ListQuery,
      status: 200,
      response: z.array(Release),
    },
    async ({ services, principal, params, query }) => {
      const options = query.limit === undefined ? {} : { limit: query.limit };
      return (await services.releases.list(principal, params.app, options)).map(releaseJson);
    },
  ),
  route(
    {
      id: 'releases.get',
      method: 'GET',
      path: '/apps/{app}/releases/{version}',
      summary: 'One release (version 3 or v3)',
      tag: 'releases',
      params: ReleaseParams,
      status: 200,
      response: ReleaseInfo,
    },
    async ({ services, principal, params }) => releaseInfoJson(await services.releases.get(principal, params.app, params.version)),
  ),
  route(
    {
      id: 'releases.rollback',
      method: 'POST',
      path: '/apps/{app}/rollback',
      summary: 'Roll back to a release (default: the one before the live one) as a new release',
      tag: 'releases',
      params: AppParams,
      body: RollbackBody,
      status: 201,
      response: Release,
    },
    async ({ services, principal, params, body }) => releaseJson(await services.releases.rollback(principal, params.app, body.version)),
  ),
];
