// Event sources of an app's functions: `event-sources*` on the CLI.
import { z } from 'zod';
import type { EventSourceView, Principal, PlatformServices, ReleaseView } from '../core/services.ts';
import type { HttpMethod } from './route.ts';
import { AppParams, appName } from './params.ts';
import { route, type Route } from './route.ts';
import { EventSourceInfo, Release } from './schemas.ts';
import { releaseJson } from './views.ts';

const FunctionParams = z.object({ app: appName, fn: z.string().min(1) });
const ListQuery = z.object({ function: z.string().min(1).optional() });
const SourceBody = z.strictObject({ source: z.string().min(1).describe('The CLI form, e.g. queue:orders?batch=10 or schedule:rate(5 minutes).') });
const Changed = z.object({ sources: z.array(EventSourceInfo), release: Release });

type Change = (
  services: PlatformServices,
  principal: Principal,
  app: string,
  fn: string,
  source: string,
) => Promise<{ sources: EventSourceView[]; release: ReleaseView }>;

/** A route that changes one function's sources (a new release) and answers them with the release. */
function changeRoute(id: string, method: HttpMethod, path: string, summary: string, withSource: boolean, change: Change): Route {
  return route(
    { id, method, path, summary, tag: 'event-sources', params: FunctionParams, ...(withSource ? { body: SourceBody } : {}), status: 200, response: Changed },
    async ({ services, principal, params, body }) => {
      const result = await change(services, principal, params.app, params.fn, (body as { source?: string } | undefined)?.source ?? '');
      return { sources: result.sources, release: releaseJson(result.release) };
    },
  );
}

const FN_PATH = '/apps/{app}/functions/{fn}/event-sources';

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
  changeRoute(
    'eventSources.add',
    'POST',
    FN_PATH,
    'Add a source to a function (or change the one with the same queue, bucket filters, schedule or route); a new release',
    true,
    (services, principal, app, fn, source) => services.eventSources.add(principal, app, fn, source),
  ),
  changeRoute('eventSources.remove', 'POST', `${FN_PATH}/remove`, 'Remove a source from a function; a new release', true, (services, principal, app, fn, source) =>
    services.eventSources.remove(principal, app, fn, source),
  ),
  changeRoute('eventSources.clear', 'DELETE', FN_PATH, 'Remove every source of a function (its routes too); a new release', false, (services, principal, app, fn) =>
    services.eventSources.clear(principal, app, fn),
  ),
  changeRoute(
    'eventSources.reset',
    'POST',
    `${FN_PATH}/reset`,
    'Drop the sources set from the CLI: the function runs with its laambda.json events again; a new release',
    false,
    (services, principal, app, fn) => services.eventSources.reset(principal, app, fn),
  ),
];
