// Event sources of an app's functions: `event-sources*` on the CLI.
import { z } from 'zod';
import { AppParams, appName } from './params.ts';
import { route, type Route } from './route.ts';
import { EventSourceInfo, Release } from './schemas.ts';
import { releaseJson } from './views.ts';

const FunctionParams = z.object({ app: appName, fn: z.string().min(1) });
const ListQuery = z.object({ function: z.string().min(1).optional() });
const SourceBody = z.strictObject({ source: z.string().min(1).describe('The CLI form, e.g. queue:orders?batch=10 or schedule:rate(5 minutes).') });
const Changed = z.object({ sources: z.array(EventSourceInfo), release: Release });

export const sourceRoutes: Route[] = [
  route(
    {
      id: 'eventSources.list',
      method: 'GET',
      path: '/apps/{app}/event-sources',
      summary: "What invokes the live release's functions (or one function's, with ?function=)",
      tag: 'event-sources',
      params: AppParams,
      query: ListQuery,
      status: 200,
      response: z.array(EventSourceInfo),
    },
    async ({ services, principal, params, query }) => services.eventSources.list(principal, params.app, query.function),
  ),
  route(
    {
      id: 'eventSources.add',
      method: 'POST',
      path: '/apps/{app}/functions/{fn}/event-sources',
      summary: 'Add a source to a function (or change the one with the same queue, bucket filters, schedule or route); a new release',
      tag: 'event-sources',
      params: FunctionParams,
      body: SourceBody,
      status: 200,
      response: Changed,
    },
    async ({ services, principal, params, body }) => {
      const result = await services.eventSources.add(principal, params.app, params.fn, body.source);
      return { sources: result.sources, release: releaseJson(result.release) };
    },
  ),
  route(
    {
      id: 'eventSources.remove',
      method: 'POST',
      path: '/apps/{app}/functions/{fn}/event-sources/remove',
      summary: 'Remove a source from a function; a new release',
      tag: 'event-sources',
      params: FunctionParams,
      body: SourceBody,
      status: 200,
      response: Changed,
    },
    async ({ services, principal, params, body }) => {
      const result = await services.eventSources.remove(principal, params.app, params.fn, body.source);
      return { sources: result.sources, release: releaseJson(result.release) };
    },
  ),
  route(
    {
      id: 'eventSources.clear',
      method: 'DELETE',
      path: '/apps/{app}/functions/{fn}/event-sources',
      summary: 'Remove every source of a function (its routes too); a new release',
      tag: 'event-sources',
      params: FunctionParams,
      status: 200,
      response: Changed,
    },
    async ({ services, principal, params }) => {
      const result = await services.eventSources.clear(principal, params.app, params.fn);
      return { sources: result.sources, release: releaseJson(result.release) };
    },
  ),
  route(
    {
      id: 'eventSources.reset',
      method: 'POST',
      path: '/apps/{app}/functions/{fn}/event-sources/reset',
      summary: "Drop the sources set from the CLI: the function runs with its laambda.json events again; a new release",
      tag: 'event-sources',
      params: FunctionParams,
      status: 200,
      response: Changed,
    },
    async ({ services, principal, params }) => {
      const result = await services.eventSources.reset(principal, params.app, params.fn);
      return { sources: result.sources, release: releaseJson(result.release) };
    },
  ),
];
