// `event-sources*`: what invokes each function. The sources a function declares in laambda.json
// are its defaults; adding, removing or clearing from the CLI stores the function's whole list
// in the release's overrides, so every change is a release and a rollback restores the sources.
import { type EventSource, type FunctionDefinition, httpRoutesOf } from '../../core/app.ts';
import { LaambdaError } from '../../core/errors.ts';
import type { Release } from '../../core/platform.ts';
import type { EventSourceView, PlatformServices } from '../../core/services.ts';
import { formatEventSource, parseEventSource, sourceIdentity } from '../../events/sources.ts';
import type { RunnableRelease } from '../live.ts';
import { LIMITS } from '../../core/function.ts';
import { validateMapping } from '../../events/queue/mapping.ts';
import type { ServiceContext } from './context.ts';
import { liveOrFail } from './functions.ts';

/** The sources a function runs with: its declared events, or the default routes when it declares none. */
function sourcesOf(fn: FunctionDefinition): EventSource[] {
  return fn.events === undefined ? httpRoutesOf(fn) : fn.events;
}

function findFunction(runnable: RunnableRelease & { definition: NonNullable<RunnableRelease['definition']> }, fnName: string): FunctionDefinition {
  const fn = runnable.definition.functions.find((f) => f.name === fnName);
  if (fn === undefined) {
    const names = runnable.definition.functions.map((f) => f.name).join(', ');
    throw new LaambdaError('ERR_APP_FUNCTION_NOT_FOUND', `app ${runnable.app.name} has no function "${fnName}" (functions: ${names})`);
  }
  return fn;
}

/** The overrides with one function's events set, or removed (undefined). */
function withEvents(overrides: Release['overrides'], fn: string, events: EventSource[] | undefined): Release['overrides'] {
  const { events: _old, ...rest } = overrides[fn] ?? {};
  const settings = events === undefined ? rest : { ...rest, events };
  const others = Object.fromEntries(Object.entries(overrides).filter(([name]) => name !== fn));
  return Object.keys(settings).length === 0 ? others : { ...others, [fn]: settings };
}

export function sourceServices(context: ServiceContext): PlatformServices['eventSources'] {
  const { live } = context.deps;

  function views(runnable: RunnableRelease, fn: FunctionDefinition): EventSourceView[] {
    const overridden = runnable.release.overrides[fn.name]?.events !== undefined;
    const origin = overridden ? 'cli' : fn.events === undefined ? 'default' : 'laambda.json';
    return sourcesOf(fn).map((source) => ({
      function: fn.name,
      kind: source.kind,
      source: formatEventSource(source),
      origin,
      status: context.deps.sourceStatus?.(runnable.app.id, fn.name, source) ?? null,
    }));
  }

  async function change(
    principal: Parameters<PlatformServices['eventSources']['add']>[0],
    appName: string,
    fnName: string,
    describe: string,
    next: (current: EventSource[]) => EventSource[] | undefined,
  ) {
    const app = await context.app(principal, appName);
    const fn = findFunction(liveOrFail(live.get(app.id), app.name), fnName);
    const runnable = await context.release(app, (latest: Release | undefined) => {
      if (latest === undefined) throw new LaambdaError('ERR_APP_NOT_DEPLOYED', `app ${app.name} has no code yet`);
      const current = latest.overrides[fnName]?.events ?? sourcesOf(fn);
      return {
        kind: 'sources',
        description: describe,
        author: principal.name,
        artifact: latest.artifact,
        buildId: latest.buildId,
        definition: latest.definition,
        config: latest.config,
        overrides: withEvents(latest.overrides, fnName, next(current)),
      };
    });
    const updated = liveOrFail(runnable, app.name).definition.functions.find((f) => f.name === fnName) ?? fn;
    return { sources: views(runnable, updated), release: context.releaseView(runnable.release, runnable.release.version) };
  }

  /** Lambda refuses a queue whose messages would reappear while the function still runs them. */
  async function checkVisibility(principal: Parameters<PlatformServices['eventSources']['add']>[0], appName: string, fnName: string, queueName: string) {
    const queues = context.deps.events?.queues;
    const app = await context.app(principal, appName);
    const runnable = live.get(app.id);
    const timeoutS = runnable?.functions.get(fnName)?.spec.timeoutS ?? LIMITS.timeoutS.default;
    const queue = await queues?.getQueue(app.id, queueName).catch(() => undefined);
    if (queue !== undefined) validateMapping(queue.attributes, timeoutS);
  }

  return {
    async list(principal, appName, fnName) {
      const app = await context.app(principal, appName);
      const runnable = live.get(app.id);
      if (runnable?.definition === undefined) return [];
      const functions = fnName === undefined ? runnable.definition.functions : [findFunction(liveOrFail(runnable, app.name), fnName)];
      return functions.flatMap((fn) => views(runnable, fn));
    },

    async add(principal, appName, fnName, text) {
      const source = parseEventSource(text);
      const shown = formatEventSource(source);
      if (source.kind === 'queue') await checkVisibility(principal, appName, fnName, source.queue);
      return change(principal, appName, fnName, `Add ${shown} to ${fnName}`, (current) => {
        // Adding a source that is already there replaces its settings (e.g. a new batch size).
        const identity = sourceIdentity(source);
        const at = current.findIndex((existing) => sourceIdentity(existing) === identity);
        return at === -1 ? [...current, source] : current.map((existing, i) => (i === at ? source : existing));
      });
    },

    remove(principal, appName, fnName, text) {
      const source = parseEventSource(text);
      const identity = sourceIdentity(source);
      return change(principal, appName, fnName, `Remove ${formatEventSource(source)} from ${fnName}`, (current) => {
        const kept = current.filter((existing) => sourceIdentity(existing) !== identity);
        if (kept.length === current.length) {
          throw new LaambdaError(
            'ERR_EVENT_SOURCE_NOT_FOUND',
            `${fnName} has no source ${formatEventSource(source)} (it has: ${current.map(formatEventSource).join(', ') || 'none'})`,
          );
        }
        return kept;
      });
    },

    clear(principal, appName, fnName) {
      return change(principal, appName, fnName, `Clear the event sources of ${fnName}`, () => []);
    },

    async reset(principal, appName, fnName) {
      const app = await context.app(principal, appName);
      if (live.get(app.id)?.release.overrides[fnName]?.events === undefined) {
        throw new LaambdaError('ERR_EVENT_SOURCE_NOT_FOUND', `${fnName} has no sources set with event-sources:*; it already runs with its laambda.json events`);
      }
      return change(principal, appName, fnName, `Reset the event sources of ${fnName} to laambda.json`, () => undefined);
    },
  };
}
