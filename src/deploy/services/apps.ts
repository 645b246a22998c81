import { LaambdaError } from '../../core/errors.ts';
import type { PlatformServices } from '../../core/services.ts';
import type { ServiceContext } from './context.ts';

const APP_NAME = /^[a-z][a-z0-9-]{0,29}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export interface AppServiceHooks {
  /** Called after an app and its rows are gone (removes the git repository). */
  onDestroyed(appName: string): Promise<void>;
}

export function appServices(context: ServiceContext, hooks: AppServiceHooks): PlatformServices['apps'] {
  const { storage, live } = context.deps;
  const liveVersion = (appId: string) => live.get(appId)?.release.version ?? null;
  return {
    async list(principal) {
      const apps = await storage.apps.list();
      return apps.filter((app) => principal.admin || app.id === principal.appId).map((app) => context.appView(app, liveVersion(app.id)));
    },

    async create(principal, input) {
      context.requireAdmin(principal, 'create apps');
      if (!APP_NAME.test(input.name)) {
        throw new LaambdaError('ERR_APP_NAME_INVALID', `"${input.name}" is not a valid app name: use 1-30 lower-case letters, digits and dashes, starting with a letter`);
      }
      const domain = input.domain === undefined || input.domain === null ? null : input.domain.toLowerCase();
      if (domain !== null && !DOMAIN.test(domain)) {
        throw new LaambdaError('ERR_API_REQUEST_INVALID', `"${input.domain}" is not a valid domain name`);
      }
      const app = await storage.apps.create({ name: input.name, domain });
      return context.appView(app, null);
    },

    async info(principal, name) {
      const app = await context.app(principal, name);
      const runnable = live.get(app.id);
      const releases = await storage.releases.list(app.id, { limit: 50 });
      const lastDeploy = releases.find((release) => release.kind === 'deploy');
      return {
        ...context.appView(app, liveVersion(app.id)),
        functions: runnable?.definition?.functions.map((fn) => fn.name) ?? [],
        lastDeploy: lastDeploy === undefined ? null : context.releaseView(lastDeploy, liveVersion(app.id) ?? undefined),
      };
    },

    async destroy(principal, name, confirm) {
      const app = await context.app(principal, name);
      if (confirm !== app.name) {
        throw new LaambdaError('ERR_APP_CONFIRM_MISMATCH', `destroying ${app.name} needs --confirm ${app.name} (got "${confirm}")`);
      }
      await context.locks.run(app.id, async () => {
        await live.remove(app.id);
        await storage.apps.remove(app.id);
      });
      await hooks.onDestroyed(app.name);
      context.deps.logger.info({ app: app.name, by: principal.name }, 'app destroyed');
    },
  };
}
