// The Lambda Invoke API of `laambda server`: function names `APP-NAME` of the live apps,
// `Qualifier` = a release number, SigV4 with the app's access keys (a key sees only its app).
import { createInvokeApi, createSigV4Authenticate } from '../aws/lambda/index.ts';
import type { Config } from '../config/index.ts';
import type { PlatformStorage } from '../core/platform.ts';
import type { Clock, Logger } from '../core/ports.ts';
import type { LiveApps, RunnableRelease } from './live.ts';
import type { Platform } from './services/index.ts';

export interface InvokeTarget {
  runnable: RunnableRelease;
  /** Procfile name. */
  fn: string;
  /** True when a Qualifier chose a release other than the live one. */
  pinned: boolean;
}

/** The Lambda Invoke API over the live apps, with SigV4 and per-app access keys. */
export function createPlatformInvokeApi(options: {
  config: Config;
  live: LiveApps;
  platform: Platform;
  storage: PlatformStorage;
  clock: Clock;
  logger: Logger;
  enqueue(target: InvokeTarget, payload: Buffer, requestId: string): Promise<void>;
}) {
  const { live, platform, storage, clock } = options;
  return createInvokeApi<InvokeTarget>({
    region: options.config.region,
    accountId: options.config.accountId,
    partition: options.config.partition,
    logger: options.logger,
    resolve: () => undefined,
    authenticate: createSigV4Authenticate({
      now: () => clock.now(),
      async credentialFor(accessKeyId) {
        const key = await platform.accessKeySecret(accessKeyId);
        const app = key === undefined ? undefined : await storage.apps.getById(key.appId);
        return key === undefined || app === undefined ? undefined : { secretAccessKey: key.secret, scope: app.name };
      },
    }),
    async resolveTarget(functionName, qualifier, scope) {
      if (scope === undefined || !functionName.startsWith(`${scope}-`)) return undefined;
      const current = live.find({ name: scope });
      if (current === undefined) return undefined;
      const fn = functionName.slice(scope.length + 1);
      let runnable = current;
      if (qualifier !== undefined && qualifier !== '$LATEST') {
        if (!/^\d+$/.test(qualifier)) return undefined;
        const release = await storage.releases.get(current.app.id, Number(qualifier));
        if (release === undefined) return undefined;
        runnable = await live.pinned(current.app, release);
      }
      if (!runnable.functions.has(fn)) return undefined;
      return { runnable, fn, pinned: runnable !== current };
    },
    invoke: (target, request) => live.invokeIn(target.runnable, target.fn, request),
    enqueue: options.enqueue,
  });
}

