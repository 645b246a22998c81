// What each app serves right now: its live release turned into engine specs and gateway routes.
// A release switch replaces one map entry, so it is atomic for new invocations; the pools of
// the previous release drain (in-flight invocations finish on the old code) and stop.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { unzipArtifact } from '../build/artifact.ts';
import type { AppDefinition, FunctionDefinition } from '../core/app.ts';
import { LaambdaError } from '../core/errors.ts';
import type { FunctionAwsAccess, FunctionSpec } from '../core/function.ts';
import type { App, BlobStore, Release } from '../core/platform.ts';
import type { Clock, Logger } from '../core/ports.ts';
import { buildRoutes } from '../dev/state.ts';
import type { GatewayRoutes } from '../events/http/gateway.ts';
import type { Engine, FunctionError, InvokeRequest, InvokeResult } from '../runtime/index.ts';
import type { Secrets } from './secrets.ts';

export interface LiveFunction {
  definition: FunctionDefinition;
  spec: FunctionSpec;
}

/** One release of one app, ready to run. */
export interface RunnableRelease {
  app: App;
  release: Release;
  /** Undefined for releases without code (config set before the first deploy). */
  definition: AppDefinition | undefined;
  functions: ReadonlyMap<string, LiveFunction>;
  routes: GatewayRoutes | undefined;
  config: Record<string, string>;
}

export interface LiveAppsOptions {
  engine: Engine;
  blobs: BlobStore;
  secrets: Secrets;
  clock: Clock;
  logger: Logger;
  /** Where artifacts are unpacked to run, one directory per digest (DATA_DIR/code). */
  codeRoot: string;
  /** The AWS endpoint and key an app's functions get (server: the app's derived key). */
  awsAccess?(app: App): FunctionAwsAccess | undefined;
  /** Told after an app's live release changed (undefined: the app is gone), e.g. to start its event sources. */
  onLive?(appId: string, live: RunnableRelease | undefined): void;
}

/** Unpacked code directory of an artifact digest. */
export function codeDirOf(codeRoot: string, digest: string): string {
  return path.join(codeRoot, digest);
}

/** The spec of one function in one release: the definition, then laambda.json, then overrides. */
export function specOf(
  app: App,
  release: Release,
  fn: FunctionDefinition,
  codeDir: string,
  config: Record<string, string>,
  aws?: FunctionAwsAccess,
): FunctionSpec {
  const overrides = release.overrides[fn.name] ?? {};
  const memoryMB = overrides.memoryMB ?? fn.memoryMB;
  const timeoutS = overrides.timeoutS ?? fn.timeoutS;
  const concurrency = overrides.concurrency ?? fn.concurrency;
  return {
    name: `${app.name}-${fn.name}`,
    version: String(release.version),
    codeDir,
    handler: fn.handler,
    runtime: fn.runtime,
    // App config is the environment; laambda.json's per-function values are defaults under it.
    environment: { ...fn.environment, ...config },
    revision: `v${release.version}`,
    ...(aws === undefined ? {} : { aws }),
    ...(memoryMB === undefined ? {} : { memoryMB }),
    ...(timeoutS === undefined ? {} : { timeoutS }),
    ...(concurrency === undefined ? {} : { concurrency }),
  };
}

/** The functions with the sources `event-sources:*` set in place of their declared ones. */
function withSourceOverrides(functions: FunctionDefinition[], release: Release): FunctionDefinition[] {
  return functions.map((fn) => {
    const events = release.overrides[fn.name]?.events;
    return events === undefined ? fn : { ...fn, events };
  });
}

export class LiveApps {
  readonly #options: LiveAppsOptions;
  readonly #live = new Map<string, RunnableRelease>();
  /** Older releases prepared for Qualifier invokes, by `appId:version`. */
  readonly #pinned = new Map<string, RunnableRelease>();
  readonly #unpacking = new Map<string, Promise<string>>();
  readonly #names = new Map<string, string>();
  /** Lambda name (`APP-FN`) → app and Procfile name, for every release prepared. */
  readonly #lambdaNames = new Map<string, { app: App; fn: string }>();
  readonly #domains = new Map<string, string>();

  constructor(options: LiveAppsOptions) {
    this.#options = options;
  }

  /** The app and Procfile name behind a Lambda name (`APP-FN`), as engine log records carry it. */
  functionOf(lambdaName: string): { app: App; fn: string } | undefined {
    return this.#lambdaNames.get(lambdaName);
  }

  /** Every app's live release. */
  all(): RunnableRelease[] {
    return [...this.#live.values()];
  }

  /** The live release of an app, if it has one. */
  get(appId: string): RunnableRelease | undefined {
    return this.#live.get(appId);
  }

  /** The live release of the app with this name or custom domain. */
  find(target: { name: string } | { domain: string }): RunnableRelease | undefined {
    const appId = 'name' in target ? this.#names.get(target.name) : this.#domains.get(target.domain);
    return appId === undefined ? undefined : this.#live.get(appId);
  }

  /** Makes a release runnable: unpacks its code when needed, decrypts its config, builds specs and routes. */
  async prepare(app: App, release: Release): Promise<RunnableRelease> {
    const config = JSON.parse(this.#options.secrets.open(release.config)) as Record<string, string>;
    if (release.artifact === null || release.definition === null) {
      return { app, release, definition: undefined, functions: new Map(), routes: undefined, config };
    }
    const codeDir = await this.#codeDir(release.artifact);
    const stored = JSON.parse(release.definition) as Omit<AppDefinition, 'dir' | 'name'>;
    const definition: AppDefinition = { ...stored, functions: withSourceOverrides(stored.functions, release), name: app.name, dir: codeDir };
    const functions = new Map<string, LiveFunction>();
    const aws = this.#options.awsAccess?.(app);
    for (const fn of definition.functions) {
      const spec = specOf(app, release, fn, codeDir, config, aws);
      functions.set(fn.name, { definition: fn, spec });
      this.#lambdaNames.set(spec.name, { app, fn: fn.name });
    }
    const runnable: RunnableRelease = { app, release, definition, functions, routes: undefined, config };
    runnable.routes = buildRoutes(definition, {
      clock: this.#options.clock,
      invoke: (name, payload) => this.invokeIn(runnable, name, { payload }),
    });
    return runnable;
  }

  /** Starts one environment per function and waits for init: the smoke test of a deploy. */
  async warm(runnable: RunnableRelease): Promise<Array<{ function: string; error: FunctionError }>> {
    const results = await Promise.all(
      [...runnable.functions.values()].map(async (fn) => ({ function: fn.definition.name, error: await this.#options.engine.warm(fn.spec) })),
    );
    return results.filter((result): result is { function: string; error: FunctionError } => result.error !== undefined);
  }

  /** New invocations go to `next` from now on; the previous release's environments drain and stop. */
  async switch(next: RunnableRelease): Promise<void> {
    const previous = this.#live.get(next.app.id);
    this.#live.set(next.app.id, next);
    this.#names.set(next.app.name, next.app.id);
    if (next.app.domain !== null) this.#domains.set(next.app.domain, next.app.id);
    this.#options.logger.info({ app: next.app.name, release: next.release.version }, 'release live');
    this.#options.onLive?.(next.app.id, next);
    if (previous !== undefined) await this.#retire(previous, next);
  }

  /** Stops everything of a release that `next` no longer runs (used after a failed smoke init too). */
  async discard(candidate: RunnableRelease): Promise<void> {
    const live = this.#live.get(candidate.app.id);
    await this.#retire(candidate, live);
  }

  /** Forgets an app (destroyed): its environments stop. */
  async remove(appId: string): Promise<void> {
    const live = this.#live.get(appId);
    this.#live.delete(appId);
    if (live !== undefined) {
      this.#names.delete(live.app.name);
      if (live.app.domain !== null) this.#domains.delete(live.app.domain);
    }
    for (const key of [...this.#pinned.keys()]) if (key.startsWith(`${appId}:`)) this.#pinned.delete(key);
    for (const [name, owner] of this.#lambdaNames) if (owner.app.id === appId) this.#lambdaNames.delete(name);
    this.#options.onLive?.(appId, undefined);
    if (live !== undefined) await this.#retire(live, undefined);
  }

  /** A release kept ready for `Qualifier` invokes of an older version. */
  async pinned(app: App, release: Release): Promise<RunnableRelease> {
    const live = this.#live.get(app.id);
    if (live?.release.version === release.version) return live;
    const key = `${app.id}:${release.version}`;
    const cached = this.#pinned.get(key);
    if (cached !== undefined) return cached;
    const runnable = await this.prepare(app, release);
    this.#pinned.set(key, runnable);
    return runnable;
  }

  /** Invokes a function (by Procfile name) of a given release. */
  invokeIn(runnable: RunnableRelease, functionName: string, request: InvokeRequest): Promise<InvokeResult> {
    const fn = runnable.functions.get(functionName);
    if (fn === undefined) {
      return Promise.reject(
        new LaambdaError('ERR_APP_FUNCTION_NOT_FOUND', `app ${runnable.app.name} has no function "${functionName}" in v${runnable.release.version}`),
      );
    }
    return this.#options.engine.invoke(fn.spec, request);
  }

  async #retire(old: RunnableRelease, next: RunnableRelease | undefined): Promise<void> {
    await Promise.all(
      [...old.functions.values()].map((fn) => {
        const replacement = next?.functions.get(fn.definition.name);
        if (replacement !== undefined && replacement.spec === fn.spec) return undefined;
        return this.#options.engine.retire(fn.spec.name, replacement?.spec);
      }),
    );
  }

  /** The unpacked code of an artifact: built trees are moved in by deploys; after a restart they are unzipped once. */
  async #codeDir(digest: string): Promise<string> {
    const dir = codeDirOf(this.#options.codeRoot, digest);
    if (existsSync(dir)) return dir;
    let pending = this.#unpacking.get(digest);
    if (pending === undefined) {
      pending = (async () => {
        const staging = `${dir}.unpack-${process.pid}-${Date.now()}`;
        await mkdir(staging, { recursive: true });
        try {
          await unzipArtifact(await this.#options.blobs.localPath(digest), staging);
          await rename(staging, dir);
        } catch (error) {
          await rm(staging, { recursive: true, force: true });
          if (!existsSync(dir)) throw error;
        }
        return dir;
      })().finally(() => this.#unpacking.delete(digest));
      this.#unpacking.set(digest, pending);
    }
    return pending;
  }
}
