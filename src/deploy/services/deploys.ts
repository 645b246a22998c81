import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { runBuild, type BuildEvent } from '../../build/pipeline.ts';
import { isLaambdaError, LaambdaError } from '../../core/errors.ts';
import type { App, Build, FunctionOverrides } from '../../core/platform.ts';
import type { DeployEvent, DeployRequest, PlatformServices, Principal } from '../../core/services.ts';
import { codeDirOf } from '../live.ts';
import type { ServiceContext } from './context.ts';

export interface BuildSettings {
  /** DATA_DIR/builds: one scratch directory per build, removed afterwards. */
  buildRoot: string;
  /** DATA_DIR/cache: the dependency cache. */
  cacheDir: string;
  /** DATA_DIR/code: unpacked artifacts by digest. */
  codeRoot: string;
  python(): string;
  hostEnv: NodeJS.ProcessEnv;
}

/** An async iterable fed by a producer that runs on its own. */
function channel<T>(): { push(item: T): void; end(): void; iterable: AsyncIterable<T> } {
  const items: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(item) {
      items.push(item);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    iterable: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const item = items.shift();
          if (item !== undefined) yield item;
          else if (ended) return;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      },
    },
  };
}

function failure(error: unknown): { code: string; message: string; fix: string } {
  if (isLaambdaError(error)) return { code: error.code, message: error.message, fix: error.fix };
  // The details of an internal error stay in the server log; the client gets the code and the fix.
  const internal = new LaambdaError('ERR_PLATFORM_INTERNAL', 'the build failed unexpectedly; the server log has the details');
  return { code: internal.code, message: internal.message, fix: internal.fix };
}

export function deployServices(context: ServiceContext, settings: BuildSettings): PlatformServices['deploys'] {
  const { storage, clock, logger } = context.deps;

  async function run(app: App, build: Build, principal: Principal, request: DeployRequest, events: ReturnType<typeof channel<DeployEvent>>) {
    const output: string[] = [];
    // Heroku-style lines: steps start with `-----> `, installer output is indented.
    const emit = (event: BuildEvent) => {
      const message = event.type === 'step' && !event.message.startsWith('-----> ') ? `-----> ${event.message}` : event.message;
      output.push(event.type === 'log' ? `       ${message}` : message);
      events.push({ ...event, message });
    };
    const workDir = path.join(settings.buildRoot, build.id);
    const started = clock.monotonic();
    try {
      const built = await runBuild({
        archive: request.archive,
        gzip: request.gzip,
        workDir,
        cacheDir: settings.cacheDir,
        blobs: storage.blobs,
        python: settings.python,
        hostEnv: settings.hostEnv,
        onEvent: emit,
      });
      const codeDir = codeDirOf(settings.codeRoot, built.artifact.digest);
      if (!existsSync(codeDir)) {
        await mkdir(settings.codeRoot, { recursive: true });
        // Another build of the same tree may have moved its copy in first: either is fine.
        await rename(built.codeDir, codeDir).catch((error: NodeJS.ErrnoException) => {
          if (!existsSync(codeDir)) throw error;
        });
      }
      const { dir: _dir, name: _name, ...definition } = built.definition;
      const names = new Set(definition.functions.map((fn) => fn.name));
      emit({ type: 'step', step: 'release', message: `-----> Starting ${names.size} function${names.size === 1 ? '' : 's'} of the new release` });
      const description = request.description ?? (request.revision === undefined ? `Deploy ${built.artifact.digest.slice(0, 8)} (upload)` : `Deploy ${request.revision.slice(0, 7)}`);
      const runnable = await context.release(
        app,
        (latest) => ({
          kind: 'deploy',
          description,
          author: principal.name,
          artifact: built.artifact.digest,
          buildId: build.id,
          definition: JSON.stringify(definition),
          config: latest?.config ?? context.emptyConfig(),
          // Settings of functions that still exist carry over; removed functions lose theirs.
          overrides: Object.fromEntries(Object.entries(latest?.overrides ?? {}).filter(([fn]) => names.has(fn))) as Record<string, FunctionOverrides>,
        }),
        { strictInit: true },
      );
      const version = runnable.release.version;
      for (const [fn, settings] of Object.entries(runnable.release.overrides)) {
        if (settings.events === undefined) continue;
        emit({
          type: 'log',
          step: 'release',
          message: `       ${fn}: its sources set with event-sources:* replace the events in laambda.json (\`laambda event-sources:reset ${fn}\` goes back to them)`,
        });
      }
      emit({ type: 'step', step: 'release', message: `-----> Traffic switched to v${version}, ${Math.round(clock.monotonic() - started)} ms after the upload began` });
      await storage.builds.finish(build.id, { status: 'succeeded', artifact: built.artifact.digest, release: version, error: null, output: output.join('\n'), finishedAt: clock.now() });
      events.push({ type: 'result', ok: true, build: build.id, release: context.releaseView(runnable.release, version) });
      context.deps.audit?.(app.id, 'build', `build ${build.id} succeeded in ${Math.round(clock.monotonic() - started)} ms: v${version}`);
      logger.info({ app: app.name, build: build.id, release: version, ms: Math.round(clock.monotonic() - started) }, 'deployed');
    } catch (error) {
      const reason = failure(error);
      if (reason.code === 'ERR_PLATFORM_INTERNAL') logger.error({ err: error, app: app.name, build: build.id }, 'build failed unexpectedly');
      output.push(`✘ ${reason.code}: ${reason.message}`);
      await storage.builds
        .finish(build.id, { status: 'failed', artifact: null, release: null, error: `${reason.code}: ${reason.message}`, output: output.join('\n'), finishedAt: clock.now() })
        .catch((finishError: unknown) => logger.error({ err: finishError, build: build.id }, 'cannot record the failed build'));
      events.push({ type: 'result', ok: false, build: build.id, error: reason });
      context.deps.audit?.(app.id, 'build', `build ${build.id} failed: ${reason.code}: ${reason.message} (the live release keeps serving)`);
    } finally {
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
      events.end();
    }
  }

  return {
    async start(principal, name, request) {
      const app = await context.app(principal, name);
      const build = await storage.builds.create({
        appId: app.id,
        source: request.source,
        revision: request.revision ?? null,
        author: principal.name,
        startedAt: clock.now(),
      });
      const events = channel<DeployEvent>();
      context.deps.audit?.(app.id, 'build', `build ${build.id} started (${request.source} by ${principal.name})`);
      void run(app, build, principal, request, events);
      return events.iterable;
    },
  };
}

export function buildServices(context: ServiceContext): PlatformServices['builds'] {
  const { storage } = context.deps;
  return {
    async list(principal, name) {
      const app = await context.app(principal, name);
      return (await storage.builds.list(app.id, { limit: 50 })).map((build) => context.buildView(build, false));
    },
    async get(principal, name, id) {
      const app = await context.app(principal, name);
      const build = await storage.builds.get(id);
      if (build === undefined || build.appId !== app.id) throw new LaambdaError('ERR_BUILD_NOT_FOUND', `app ${app.name} has no build ${id}`);
      return context.buildView(build, true);
    },
  };
}
