import { LaambdaError } from '../../core/errors.ts';
import type { PlatformServices } from '../../core/services.ts';
import type { ServiceContext } from './context.ts';

export function releaseServices(context: ServiceContext): PlatformServices['releases'] {
  const { storage, live, secrets } = context.deps;
  const find = async (appId: string, appName: string, version: number) => {
    const release = await storage.releases.get(appId, version);
    if (release === undefined) throw new LaambdaError('ERR_RELEASE_NOT_FOUND', `app ${appName} has no release v${version}`);
    return release;
  };
  return {
    async list(principal, name, options = {}) {
      const app = await context.app(principal, name);
      const releases = await storage.releases.list(app.id, options.limit === undefined ? {} : { limit: options.limit });
      const liveVersion = live.get(app.id)?.release.version;
      return releases.map((release) => context.releaseView(release, liveVersion));
    },

    async get(principal, name, version) {
      const app = await context.app(principal, name);
      const release = await find(app.id, app.name, version);
      const liveVersion = live.get(app.id)?.release.version;
      const config = JSON.parse(secrets.open(release.config)) as Record<string, string>;
      const runnable = await live.pinned(app, release);
      return {
        ...context.releaseView(release, liveVersion),
        configKeys: Object.keys(config).sort(),
        overrides: release.overrides,
        functions: context.functionViews(runnable),
      };
    },

    async rollback(principal, name, version) {
      const app = await context.app(principal, name);
      const runnable = await context.release(app, async (latest) => {
        if (latest === undefined) throw new LaambdaError('ERR_RELEASE_NOT_FOUND', `app ${app.name} has no releases to roll back to`);
        const targetVersion = version ?? latest.version - 1;
        if (targetVersion < 1) throw new LaambdaError('ERR_RELEASE_NOT_FOUND', `app ${app.name} has no release before v${latest.version}`);
        const target = await find(app.id, app.name, targetVersion);
        return {
          kind: 'rollback',
          description: `Rollback to v${target.version}`,
          author: principal.name,
          artifact: target.artifact,
          buildId: target.buildId,
          definition: target.definition,
          config: target.config,
          overrides: target.overrides,
        };
      });
      return context.releaseView(runnable.release, runnable.release.version);
    },
  };
}
