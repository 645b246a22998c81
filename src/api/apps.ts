// Apps and the functions of their live release.
import { z } from 'zod';
import { AppParams, appName } from './params.ts';
import { route, type Route } from './route.ts';
import { App, AppInfo, FunctionInfo, Release } from './schemas.ts';
import { appInfoJson, appJson, releaseJson } from './views.ts';

const CreateApp = z.strictObject({ name: z.string(), domain: z.string().nullable().optional() });

// A missing confirm reaches the service as '' so the answer is ERR_APP_CONFIRM_MISMATCH and its fix.
const DestroyQuery = z.object({ confirm: z.string().default('') });

const FunctionParams = z.object({ app: appName, fn: z.string().min(1) });

const UpdateFunction = z.strictObject({
  memoryMB: z.int().optional(),
  timeoutS: z.int().optional(),
  concurrency: z.int().optional(),
});

export const appRoutes: Route[] = [
  route(
    { id: 'apps.list', method: 'GET', path: '/apps', summary: 'Apps the token may see', tag: 'apps', status: 200, response: z.array(App) },
    async ({ services, principal }) => (await services.apps.list(principal)).map(appJson),
  ),
  route(
    { id: 'apps.create', method: 'POST', path: '/apps', summary: 'Create an app (admin)', tag: 'apps', body: CreateApp, status: 201, response: App },
    async ({ services, principal, body }) => appJson(await services.apps.create(principal, body)),
  ),
  route(
    { id: 'apps.info', method: 'GET', path: '/apps/{app}', summary: 'One app', tag: 'apps', params: AppParams, status: 200, response: AppInfo },
    async ({ services, principal, params }) => appInfoJson(await services.apps.info(principal, params.app)),
  ),
  route(
    {
      id: 'apps.destroy',
      method: 'DELETE',
      path: '/apps/{app}',
      summary: 'Destroy an app with its releases, builds, tokens and keys; confirm repeats its name',
      tag: 'apps',
      params: AppParams,
      query: DestroyQuery,
      status: 204,
    },
    async ({ services, principal, params, query }) => {
      await services.apps.destroy(principal, params.app, query.confirm);
    },
  ),
  route(
    {
      id: 'functions.list',
      method: 'GET',
      path: '/apps/{app}/functions',
      summary: 'Functions of the live release',
      tag: 'functions',
      params: AppParams,
      status: 200,
      response: z.array(FunctionInfo),
    },
    async ({ services, principal, params }) => services.functions.list(principal, params.app),
  ),
  route(
    {
      id: 'functions.update',
      method: 'PATCH',
      path: '/apps/{app}/functions/{fn}',
      summary: "Change a function's memory, timeout or concurrency (a new release)",
      tag: 'functions',
      params: FunctionParams,
      body: UpdateFunction,
      status: 200,
      response: z.object({ function: FunctionInfo, release: Release }),
    },
    async ({ services, principal, params, body }) => {
      const result = await services.functions.update(principal, params.app, params.fn, body);
      return { function: result.function, release: releaseJson(result.release) };
    },
  ),
];
