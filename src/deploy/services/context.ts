// What every use-case shares: the stores, the live apps, access checks, per-app serialisation
// of release changes, and the mapping of stored rows to API views.
import { type EventSource, type FunctionDefinition, httpRoutesOf } from '../../core/app.ts';
import { LaambdaError } from '../../core/errors.ts';
import { LIMITS } from '../../core/function.ts';
import type { App, Build, PlatformStorage, Release, ReleaseDraft } from '../../core/platform.ts';
import type { Clock, Logger } from '../../core/ports.ts';
import type { AppView, BuildView, FunctionView, Principal, ReleaseView } from '../../core/services.ts';
import type { LiveApps, RunnableRelease } from '../live.ts';
import type { Secrets } from '../secrets.ts';
import type { EventServices } from './resources.ts';
import type { ObserveServices } from './observe.ts';

export interface ServiceDeps {
  storage: PlatformStorage;
  live: LiveApps;
  secrets: Secrets;
  clock: Clock;
  logger: Logger;
  region: string;
  accountId: string;
  partition: string;
  /** Concurrency limit of functions that set none. */
  defaultConcurrency: number;
  /** Public URLs, known once the listeners are bound. */
  urls(): { control: string; gateway: string; aws: string };
  /** How an event source of a live function runs now (event-source runners); null when it has nothing to say. */
  sourceStatus?(appId: string, fn: string, source: EventSource): string | null;
  /** Queues, buckets and schedules (absent in tests of the release services alone). */
  events?: EventServices;
  /** Logs, drains and metrics. */
  observe?: ObserveServices;
  /**
   * A platform event for the app's log (builds, releases, config changes). Messages name config
   * keys at most, never values.
   */
  audit?(appId: string, type: string, message: string): void;
}

/** Runs release changes of one app one at a time, so versions follow each other. */
export class AppLocks {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(appId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(appId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.#tails.set(appId, tail);
    void tail.then(() => {
      if (this.#tails.get(appId) === tail) this.#tails.delete(appId);
    });
    return next;
  }
}

export class ServiceContext {
  readonly deps: ServiceDeps;
  readonly locks = new AppLocks();

  constructor(deps: ServiceDeps) {
    this.deps = deps;
  }

  /** The app if the principal may see it; otherwise it does not exist (no leak of other apps' names). */
  async app(principal: Principal, name: string): Promise<App> {
    const app = await this.deps.storage.apps.get(name);
    if (app === undefined || (!principal.admin && principal.appId !== app.id)) {
      throw new LaambdaError('ERR_APP_NOT_FOUND', `no app "${name}"${principal.admin ? '' : ' for this token'}`);
    }
    return app;
  }

  requireAdmin(principal: Principal, action: string): void {
    if (!principal.admin) throw new LaambdaError('ERR_API_FORBIDDEN', `only an admin token may ${action}`);
  }

  emptyConfig(): string {
    return this.deps.secrets.seal('{}');
  }

  /**
   * Appends a release made from the latest one, prepares it, warms its functions (a deploy
   * refuses a release whose functions fail to init; other changes warm best-effort) and
   * switches traffic to it. Serialised per app.
   */
  async release(
    app: App,
    make: (latest: Release | undefined) => ReleaseDraft | Promise<ReleaseDraft>,
    options: { strictInit?: boolean; prepared?: (candidate: RunnableRelease) => void } = {},
  ): Promise<RunnableRelease> {
    return this.locks.run(app.id, async () => {
      const { storage, live, clock } = this.deps;
      const latest = await storage.releases.latest(app.id);
      const draft = await make(latest);
      const version = (latest?.version ?? 0) + 1;
      const createdAt = clock.now();
      const candidate = await live.prepare(app, { ...draft, appId: app.id, version, createdAt });
      const failures = await live.warm(candidate);
      if (failures.length > 0 && options.strictInit === true) {
        await live.discard(candidate);
        const detail = failures.map((f) => `${f.function}: ${f.error.errorType}: ${f.error.errorMessage}`).join('; ');
        throw new LaambdaError('ERR_BUILD_INIT_FAILED', `the new code failed to start (${detail})`, { details: { failures } });
      }
      for (const failure of failures) {
        this.deps.logger.warn({ app: app.name, fn: failure.function, error: failure.error.errorType }, 'function failed to init in the new release');
      }
      const stored = await storage.releases.append(app.id, draft, createdAt);
      if (stored.version !== version) {
        throw new LaambdaError('ERR_STORAGE_FAILED', `release v${version} of ${app.name} was stored as v${stored.version}`);
      }
      const runnable = { ...candidate, release: stored };
      await live.switch(runnable);
      this.deps.audit?.(app.id, 'release', `v${version} is live: ${stored.description} (${stored.kind} by ${stored.author})`);
      for (const failure of failures) {
        this.deps.audit?.(app.id, 'crash', `${failure.function} failed to start in v${version}: ${failure.error.errorType}: ${failure.error.errorMessage}`);
      }
      return runnable;
    });
  }

  appView(app: App, release: number | null): AppView {
    const urls = this.deps.urls();
    const gateway = new URL(urls.gateway);
    return {
      name: app.name,
      domain: app.domain,
      createdAt: app.createdAt,
      release,
      gatewayUrl: `${gateway.protocol}//${app.name}.localhost:${gateway.port}`,
      gitUrl: `${urls.control}/git/${app.name}.git`,
    };
  }

  releaseView(release: Release, liveVersion: number | undefined): ReleaseView {
    return {
      version: release.version,
      kind: release.kind,
      description: release.description,
      author: release.author,
      createdAt: release.createdAt,
      artifact: release.artifact,
      buildId: release.buildId,
      current: release.version === liveVersion,
    };
  }

  functionViews(runnable: RunnableRelease): FunctionView[] {
    const definition = runnable.definition;
    if (definition === undefined) return [];
    return definition.functions.map((fn) => this.functionView(runnable, fn));
  }

  functionView(runnable: RunnableRelease, fn: FunctionDefinition): FunctionView {
    const spec = runnable.functions.get(fn.name)?.spec;
    const lambdaName = `${runnable.app.name}-${fn.name}`;
    const urls = this.deps.urls();
    const gateway = new URL(urls.gateway);
    return {
      name: fn.name,
      lambdaName,
      arn: `arn:${this.deps.partition}:lambda:${this.deps.region}:${this.deps.accountId}:function:${lambdaName}`,
      handler: fn.handler,
      runtime: fn.runtime,
      memoryMB: spec?.memoryMB ?? LIMITS.memoryMB.default,
      timeoutS: spec?.timeoutS ?? LIMITS.timeoutS.default,
      concurrency: spec?.concurrency ?? this.deps.defaultConcurrency,
      routes: httpRoutesOf(fn).map((route) => route.route),
      url: fn.url === undefined ? null : `${gateway.protocol}//${fn.name.toLowerCase()}.lambda-url.${runnable.app.name}.localhost:${gateway.port}/`,
    };
  }

  buildView(build: Build, withOutput: boolean): BuildView {
    return {
      id: build.id,
      status: build.status,
      source: build.source,
      revision: build.revision,
      author: build.author,
      artifact: build.artifact,
      release: build.release,
      error: build.error,
      startedAt: build.startedAt,
      finishedAt: build.finishedAt,
      ...(withOutput ? { output: build.output } : {}),
    };
  }
}
