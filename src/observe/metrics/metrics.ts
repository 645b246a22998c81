// Recording invocations once, for both readers: the Prometheus registry (live counters) and the
// one-minute rollups (stored, for `laambda metrics` and charts).
import { collectDefaultMetrics, Registry } from 'prom-client';
import { isLaambdaError, LaambdaError } from '../../core/errors.ts';
import type { MetricRollup, MetricStore } from '../../core/metrics.ts';
import type { Clock, Logger } from '../../core/ports.ts';
import { ERROR_TYPE } from '../../runtime/protocol.js';
import type { Engine, FunctionSpec, InvokeResult } from '../../runtime/index.ts';
import {
  type AsyncQueueGauge,
  createPrometheusMetrics,
  type FunctionLabels,
  type QueueMappingGauge,
} from './prometheus.ts';
import { MINUTE_MS, minuteOf, type MetricSeries, RollupBuffer, type RollupKey, series } from './rollups.ts';

/** Who an invocation belongs to: Prometheus labels plus the app id the rollups are stored under. */
export interface InvocationLabels extends FunctionLabels {
  appId: string;
}

export interface MetricsOptions {
  store: MetricStore;
  clock: Clock;
  logger: Logger;
  /** Rollups older than this are deleted; default 7 days. */
  rollupRetentionMs?: number;
  /** The registry to fill; default a fresh one. */
  registry?: Registry;
  /** Write finished minutes at every minute boundary (default true); tests call flushRollups(). */
  autoFlush?: boolean;
}

export interface MetricsQuery {
  appId: string;
  function?: string;
  /** Window start, ms since the epoch; rounded down to its minute. */
  since: number;
  /** Window end (exclusive), ms since the epoch; default the end of the current minute. */
  until?: number;
  /** Group the series by function (default) or by function and release. */
  by?: 'function' | 'release';
}

export interface MetricsGroup extends MetricSeries {
  function: string;
  /** Set when grouped by release. */
  release?: string;
}

export interface MetricsQueryResult extends MetricSeries {
  /** The window actually read: whole minutes. */
  since: number;
  until: number;
  /** One series per function (or function and release), ordered by name. */
  groups: MetricsGroup[];
}

const DEFAULT_RETENTION_MS = 7 * 24 * 60 * MINUTE_MS;

function queryInvalid(message: string): LaambdaError {
  return new LaambdaError('ERR_METRICS_QUERY_INVALID', message);
}

export function createMetrics(options: MetricsOptions) {
  const { store, clock, logger } = options;
  const retentionMs = options.rollupRetentionMs ?? DEFAULT_RETENTION_MS;
  const registry = options.registry ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'laambda_' });
  const prometheus = createPrometheusMetrics({ registry, clock, logger });
  const buffer = new RollupBuffer();
  const running = new Map<string, number>();
  // Flushes and queries take turns: a query never sees a minute both pending and stored.
  let turn: Promise<unknown> = Promise.resolve();
  const serial = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = turn.then(operation);
    turn = result.catch(() => {});
    return result;
  };

  const write = (beforeMinute: number): Promise<void> =>
    serial(async () => {
      const rollups: MetricRollup[] = buffer.take(beforeMinute);
      try {
        await store.addRollups(rollups);
      } catch (error) {
        buffer.restore(rollups);
        throw error;
      }
      await store.deleteRollupsBefore(minuteOf(clock.now() - retentionMs));
    });

  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    const wait = MINUTE_MS - (clock.now() % MINUTE_MS) + 50;
    timer = setTimeout(() => {
      write(minuteOf(clock.now())).catch((error: unknown) => {
        logger.error({ err: error }, 'metric rollups not written; retrying next minute');
      });
      schedule();
    }, wait);
    timer.unref();
  };
  if (options.autoFlush !== false) schedule();

  const finished = (labels: FunctionLabels, key: RollupKey, result: InvokeResult): void => {
    const facts = {
      error: result.error !== undefined,
      timeout: result.error?.errorType === ERROR_TYPE.timeout,
      coldStart: result.coldStart,
      durationMs: result.durationMs,
      billedMs: result.billedDurationMs,
      memoryMB: result.maxMemoryUsedMB,
    };
    prometheus.invoked(labels, facts);
    buffer.invoked(key, clock.now(), facts);
  };

  const instrumentedInvoke = async (
    engine: Engine,
    labels: InvocationLabels,
    spec: FunctionSpec,
    request: Parameters<Engine['invoke']>[1],
  ): Promise<InvokeResult> => {
    const functionLabels = { app: labels.app, function: labels.function, release: labels.release };
    const key = { appId: labels.appId, function: labels.function, release: labels.release };
    const runningKey = JSON.stringify([key.appId, key.function, key.release]);
    const now = (running.get(runningKey) ?? 0) + 1;
    running.set(runningKey, now);
    prometheus.running(functionLabels, 1);
    try {
      const result = await engine.invoke(spec, request);
      // A throttled request never ran, so it does not count as concurrent.
      buffer.concurrency(key, clock.now(), now);
      finished(functionLabels, key, result);
      return result;
    } catch (error) {
      if (isLaambdaError(error) && error.code === 'ERR_INVOKE_THROTTLED') {
        prometheus.throttled(functionLabels);
        buffer.throttled(key, clock.now());
      }
      throw error;
    } finally {
      const left = (running.get(runningKey) ?? 1) - 1;
      if (left === 0) running.delete(runningKey);
      else running.set(runningKey, left);
      prometheus.running(functionLabels, -1);
    }
  };

  return {
    registry,

    /**
     * The engine with every invocation recorded under the labels `labelsOf` gives its spec;
     * specs it answers undefined for run unrecorded. Everything else passes through.
     */
    instrument(engine: Engine, labelsOf: (spec: FunctionSpec) => InvocationLabels | undefined): Engine {
      return {
        get memoryMode() {
          return engine.memoryMode;
        },
        invoke(spec, request) {
          const labels = labelsOf(spec);
          return labels === undefined ? engine.invoke(spec, request) : instrumentedInvoke(engine, labels, spec, request);
        },
        prepare: (spec) => engine.prepare(spec),
        warm: (spec) => engine.warm(spec),
        retire: (name, keep) => engine.retire(name, keep),
        stats: () => engine.stats(),
        pids: () => engine.pids(),
        close: () => engine.close(),
      };
    },

    /** Adds queue-mapping gauges read at every scrape (lag, age of the oldest message). */
    registerQueueMapping(source: () => QueueMappingGauge[] | Promise<QueueMappingGauge[]>): void {
      prometheus.registerQueueMapping(source);
    },
    /** Adds async-invocation gauges read at every scrape (depth, retrying), per app. */
    registerAsync(source: () => AsyncQueueGauge[] | Promise<AsyncQueueGauge[]>): void {
      prometheus.registerAsync(source);
    },
    /** Adds a count of live environments, read at every scrape. */
    registerEnvironments(source: () => number | Promise<number>): void {
      prometheus.registerEnvironments(source);
    },

    /** The registry in Prometheus text format. */
    async exposition(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },

    /** Writes every pending minute (the current one too) and applies retention. */
    flushRollups(): Promise<void> {
      return write(Number.POSITIVE_INFINITY);
    },

    /** Per-minute points and a summary of one app's stored and pending minutes. */
    async query(query: MetricsQuery): Promise<MetricsQueryResult> {
      const since = minuteOf(query.since);
      const until = query.until ?? minuteOf(clock.now()) + MINUTE_MS;
      if (!Number.isFinite(query.since) || !Number.isFinite(until)) throw queryInvalid('since and until must be times');
      if (until <= since) throw queryInvalid('the window must end after it starts (is --since in the future?)');
      return serial(async () => {
        const pending = buffer
          .peek(query.appId, query.function)
          .filter((rollup) => rollup.minute >= since && rollup.minute < until);
        const stored = await store.listRollups({ appId: query.appId, function: query.function, since, until });
        return { since, until, ...series([...stored, ...pending]), groups: groups([...stored, ...pending], query.by) };
      });
    },

    /** Stops the minute timer and writes what is pending. */
    async close(): Promise<void> {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await write(Number.POSITIVE_INFINITY);
    },
  };
}

function groups(rollups: readonly MetricRollup[], by: 'function' | 'release' = 'function'): MetricsGroup[] {
  const byKey = new Map<string, { function: string; release?: string; rollups: MetricRollup[] }>();
  for (const rollup of rollups) {
    const release = by === 'release' ? rollup.release : undefined;
    const key = JSON.stringify([rollup.function, release ?? null]);
    let group = byKey.get(key);
    if (group === undefined) {
      group = { function: rollup.function, ...(release === undefined ? {} : { release }), rollups: [] };
      byKey.set(key, group);
    }
    group.rollups.push(rollup);
  }
  return [...byKey.values()]
    .sort((a, b) => a.function.localeCompare(b.function) || (a.release ?? '').localeCompare(b.release ?? '', 'en', { numeric: true }))
    .map(({ rollups: members, ...group }) => ({ ...group, ...series(members) }));
}

export type Metrics = ReturnType<typeof createMetrics>;
