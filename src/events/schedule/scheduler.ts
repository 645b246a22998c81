// Runs the schedules of every app. Each tick fires once, restarts included: the store keeps each
// schedule's anchor (rate() counts from it) and last handled tick; a tick is fired with an id
// derived from the tick itself, so firing it again after a crash is dropped downstream. After
// downtime only the most recent missed tick fires, once. Ticks passing while a schedule is
// disabled are skipped, not caught up when it is enabled again.
import type { ScheduleEventSource } from '../../core/app.ts';
import { isLaambdaError } from '../../core/errors.ts';
import type { Clock, Logger } from '../../core/ports.ts';
import { realTimers, type ScheduleKey, type ScheduleStore, type Timers } from '../../core/schedules.ts';
import { latestFire, nextFire, parseSchedule, type Schedule } from './expression.ts';
import { ruleName, scheduledEvent, tickId } from './payload.ts';

/** One tick to deliver (main.ts queues it as an async invocation with `id` as request id). */
export interface ScheduleTick {
  /** Deterministic per tick: use it as the request id. */
  id: string;
  appId: string;
  appName: string;
  functionName: string;
  expression: string;
  /** The tick time (ms). */
  scheduledAt: number;
  /** The function's event: the Scheduled Event, or the source's constant `input`. */
  event: unknown;
}

export interface UpcomingSchedule {
  functionName: string;
  expression: string;
  enabled: boolean;
  /** Undefined when disabled or when the expression has no more fire times. */
  nextFireAt: number | undefined;
  lastFiredAt: number | null;
}

export interface SchedulerOptions {
  store: ScheduleStore;
  clock: Clock;
  timers?: Timers;
  /** Delivers a tick; a rejection is logged and the tick counted as not fired. */
  fire(tick: ScheduleTick): Promise<void>;
  region: string;
  accountId: string;
  logger: Logger;
}

export interface Scheduler {
  /** Sets an app's schedules (after each deploy, and for every app on start); [] removes them. */
  sync(appId: string, appName: string, schedules: Array<{ functionName: string; source: ScheduleEventSource }>): Promise<void>;
  upcoming(appId: string): UpcomingSchedule[];
  stop(): Promise<void>;
}

interface Entry {
  key: ScheduleKey;
  appName: string;
  index: number;
  source: ScheduleEventSource;
  schedule: Schedule;
  anchorAt: number;
  /** Ticks up to here are handled (fired, failed to fire, or skipped). */
  cursor: number;
  lastFiredAt: number | null;
  cancel: (() => void) | undefined;
  retired: boolean;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { store, clock, logger } = options;
  const timers = options.timers ?? realTimers;
  const apps = new Map<string, Entry[]>();
  const syncs = new Map<string, Promise<void>>();
  const inflight = new Set<Promise<void>>();
  let stopped = false;

  const track = (work: Promise<void>) => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  };

  async function fireTick(entry: Entry, tickAt: number): Promise<void> {
    const { appId, functionName, expression } = entry.key;
    const id = tickId(appId, functionName, expression, tickAt);
    const event =
      entry.source.input !== undefined
        ? entry.source.input
        : scheduledEvent({ id, time: tickAt, region: options.region, accountId: options.accountId, ruleName: ruleName(entry.appName, functionName, entry.index) });
    entry.cursor = Math.max(entry.cursor, tickAt);
    const log = logger.child({ app: entry.appName, fn: functionName, schedule: expression, tick: new Date(tickAt).toISOString(), id });
    try {
      await options.fire({ id, appId, appName: entry.appName, functionName, expression, scheduledAt: tickAt, event });
    } catch (error) {
      log.error({ err: error }, 'schedule tick could not be delivered');
      return;
    }
    entry.lastFiredAt = tickAt;
    log.info({}, 'schedule fired');
    await store.recordTick(entry.key, tickAt, true);
  }

  function arm(entry: Entry): void {
    entry.cancel?.();
    entry.cancel = undefined;
    if (stopped || entry.retired || !entry.source.enabled) return;
    const next = nextFire(entry.schedule, entry.cursor, entry.anchorAt);
    if (next === undefined) return;
    entry.cancel = timers.set(() => {
      entry.cancel = undefined;
      track(wake(entry));
    }, next - clock.now());
  }

  /** Fires the latest tick due and not yet handled (if any), then sleeps until the next one. */
  async function wake(entry: Entry): Promise<void> {
    if (stopped || entry.retired) return;
    const tick = latestFire(entry.schedule, entry.cursor, clock.now(), entry.anchorAt);
    try {
      if (tick !== undefined) await fireTick(entry, tick);
    } catch (error) {
      logger.error({ err: error, app: entry.appName, fn: entry.key.functionName }, 'schedule state could not be saved');
    }
    arm(entry);
  }

  async function load(appId: string, appName: string, schedules: Array<{ functionName: string; source: ScheduleEventSource }>): Promise<void> {
    for (const entry of apps.get(appId) ?? []) {
      entry.retired = true;
      entry.cancel?.();
    }
    apps.delete(appId);
    const now = clock.now();
    const entries: Entry[] = [];
    const counts = new Map<string, number>();
    for (const { functionName, source } of schedules) {
      const index = (counts.get(functionName) ?? 0) + 1;
      counts.set(functionName, index);
      let schedule: Schedule;
      try {
        schedule = parseSchedule(source.expression);
      } catch (error) {
        if (!isLaambdaError(error)) throw error;
        logger.warn({ app: appName, fn: functionName, err: error }, 'schedule ignored');
        continue;
      }
      const key = { appId, functionName, expression: source.expression };
      if (entries.some((other) => other.key.functionName === functionName && other.key.expression === key.expression)) continue;
      const state = await store.upsert(key, source.enabled, now);
      const entry: Entry = {
        key,
        appName,
        index,
        source,
        schedule,
        anchorAt: state.anchorAt,
        cursor: state.lastTickAt ?? state.anchorAt,
        lastFiredAt: state.lastFiredAt,
        cancel: undefined,
        retired: false,
      };
      // Disabled now, or disabled until now: the ticks that passed meanwhile are skipped.
      if (!source.enabled || !state.enabled) {
        const skipped = latestFire(schedule, entry.cursor, now, entry.anchorAt);
        if (skipped !== undefined) {
          entry.cursor = skipped;
          await store.recordTick(key, skipped, false);
        }
      }
      entries.push(entry);
    }
    await store.prune(appId, entries.map((entry) => entry.key));
    if (entries.length > 0) apps.set(appId, entries);
    for (const entry of entries) if (entry.source.enabled) track(wake(entry));
  }

  return {
    sync(appId, appName, schedules) {
      // One sync per app at a time, in call order.
      const previous = syncs.get(appId) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => (stopped ? undefined : load(appId, appName, schedules)));
      syncs.set(appId, next);
      void next.finally(() => {
        if (syncs.get(appId) === next) syncs.delete(appId);
      }).catch(() => undefined);
      return next;
    },
    upcoming(appId) {
      const now = clock.now();
      return (apps.get(appId) ?? []).map((entry) => ({
        functionName: entry.key.functionName,
        expression: entry.key.expression,
        enabled: entry.source.enabled,
        nextFireAt: entry.source.enabled ? nextFire(entry.schedule, Math.max(entry.cursor, now), entry.anchorAt) : undefined,
        lastFiredAt: entry.lastFiredAt,
      }));
    },
    async stop() {
      stopped = true;
      for (const entries of apps.values()) for (const entry of entries) entry.cancel?.();
      await Promise.allSettled([...syncs.values()]);
      await Promise.allSettled([...inflight]);
    },
  };
}
