// Deploys (an uploaded archive, built and released while the progress streams back) and builds.
import { z } from 'zod';
import { deployStreamResponse } from './ndjson.ts';
import { AppParams, appName } from './params.ts';
import { route, type Route } from './route.ts';
import { Build, DeployEvent } from './schemas.ts';
import { buildJson } from './views.ts';

const DeployQuery = z.object({
  description: z.string().optional(),
  source: z.enum(['deploy', 'git']).default('deploy'),
  revision: z.string().optional(),
});

const BuildParams = z.object({ app: appName, id: z.string().min(1) });

const GZIP_TYPES = new Set(['application/gzip', 'application/x-gzip']);

function isGzip(request: Request): boolean {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  const encoding = request.headers.get('content-encoding')?.toLowerCase() ?? '';
  return GZIP_TYPES.has(type) || encoding.split(',').some((part) => part.trim() === 'gzip');
}

async function* noBytes(): AsyncIterable<Uint8Array> {}

export const deployRoutes: Route[] = [
  route(
    {
      id: 'deploys.start',
      method: 'POST',
      path: '/apps/{app}/deploys',
      summary: 'Build and release an uploaded archive; the answer streams the progress as JSON lines',
      tag: 'deploys',
      params: AppParams,
      query: DeployQuery,
      rawBody: {
        mediaTypes: ['application/x-tar', 'application/gzip'],
        description: 'A tar archive of the app (gzip with application/gzip or Content-Encoding: gzip).',
      },
      status: 200,
      response: DeployEvent,
      mediaType: 'application/x-ndjson',
    },
    async ({ services, principal, params, query, request, requestId, log }) => {
      const events = await services.deploys.start(principal, params.app, {
        // The request's own stream: the archive is never held in memory here.
        archive: request.body ?? noBytes(),
        gzip: isGzip(request),
        source: query.source,
        ...(query.description === undefined ? {} : { description: query.description }),
        ...(query.revision === undefined ? {} : { revision: query.revision }),
      });
      return deployStreamResponse(events, { requestId, log });
    },
  ),
  route(
    {
      id: 'builds.list',
      method: 'GET',
      path: '/apps/{app}/builds',
      summary: 'Builds, newest first (without output)',
      tag: 'deploys',
      params: AppParams,
      status: 200,
      response: z.array(Build),
    },
    async ({ services, principal, params }) => (await services.builds.list(principal, params.app)).map(buildJson),
  ),
  route(
    {
      id: 'builds.get',
      method: 'GET',
      path: '/apps/{app}/builds/{id}',
      summary: 'One build with its output',
      tag: 'deploys',
      params: BuildParams,
      status: 200,
      response: Build,
    },
    async ({ services, principal, params }) => buildJson(await services.builds.get(principal, params.app, params.id)),
  ),
];
