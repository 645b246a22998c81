// The platform's use-cases (src/core/services.ts) over storage, the live apps and the builder.
import type { PlatformServices } from '../../core/services.ts';
import { accessKeySecret, authenticate, ensureAdminToken, keyServices, tokenServices } from './access.ts';
import { appServices, type AppServiceHooks } from './apps.ts';
import { configServices } from './config.ts';
import { ServiceContext, type ServiceDeps } from './context.ts';
import { buildServices, type BuildSettings, deployServices } from './deploys.ts';
import { functionServices } from './functions.ts';
import { releaseServices } from './releases.ts';
import { observeServices } from './observe.ts';
import { resourceServices } from './resources.ts';
import { sourceServices } from './sources.ts';

export type { BuildSettings, ServiceDeps };

export interface Platform {
  services: PlatformServices;
  /** Makes every app's live release runnable again (server start). */
  restore(): Promise<void>;
  ensureAdminToken(configured: string | undefined): Promise<string | undefined>;
  accessKeySecret(accessKeyId: string): Promise<{ secret: string; appId: string } | undefined>;
}

export function createPlatform(deps: ServiceDeps, settings: BuildSettings, hooks: AppServiceHooks): Platform {
  const context = new ServiceContext(deps);
  const services: PlatformServices = {
    authenticate: authenticate(context),
    apps: appServices(context, hooks),
    functions: functionServices(context),
    eventSources: sourceServices(context),
    ...resourceServices(context),
    ...observeServices(context),
    deploys: deployServices(context, settings),
    builds: buildServices(context),
    releases: releaseServices(context),
    config: configServices(context),
    tokens: tokenServices(context),
    keys: keyServices(context),
  };
  return {
    services,
    async restore() {
      const { storage, live, logger } = deps;
      const failed = await storage.builds.failUnfinished('ERR_PLATFORM_INTERNAL: the server stopped during the build', deps.clock.now());
      if (failed > 0) logger.warn({ builds: failed }, 'builds interrupted by a restart marked failed');
      for (const app of await storage.apps.list()) {
        const release = await storage.releases.latest(app.id);
        if (release === undefined) continue;
        try {
          await live.switch(await live.prepare(app, release));
        } catch (error) {
          logger.error({ err: error, app: app.name, release: release.version }, 'cannot restore the live release');
        }
      }
    },
    ensureAdminToken: (configured) => ensureAdminToken(context, configured),
    accessKeySecret: (accessKeyId) => accessKeySecret(context, accessKeyId),
  };
}
