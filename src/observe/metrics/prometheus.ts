// The Prometheus side of the metrics: prom-client counters, histograms and gauges on one registry.
// Gauges of things the platform owns (queues, async invocations, environments) read callbacks the
// integrator registers, at scrape time.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock, Logger } from '../../core/ports.ts';
import { MINUTE_MS, minuteOf, type InvocationFacts } from './rollups.ts';

/** The labels of a function release on /metrics. */
export interface FunctionLabels {
  app: string;
  function: string;
  release: string;
}

export interface QueueMappingGauge {
  app: string;
  function: string;
  queue: string;
  /** Visible messages waiting. */
  lag: number;
  ageOfOldestMessageS: number;
}

export interface AsyncQueueGauge {
  app: string;
  /** Async invocations waiting to run (first attempt or retry). */
  depth: number;
  /** Of those, the ones waiting for a retry. */
  retrying: number;
}

type Source<T> = () => T | Promise<T>;

/** Seconds, from 1 ms to Lambda's 15-minute limit. */
const DURATION_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900,
];

const FUNCTION_LABELS = ['app', 'function', 'release'] as const;

export interface PrometheusMetricsOptions {
  registry: Registry;
  clock: Clock;
  logger: Logger;
}

export function createPrometheusMetrics(options: PrometheusMetricsOptions) {
  const { registry, clock, logger } = options;
  const registers = [registry];
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: FUNCTION_LABELS, registers });
  const invocations = counter('laambda_invocations_total', 'Invocations that ran (function errors included, throttles not).');
  const errors = counter('laambda_errors_total', 'Invocations that ended in a function error (timeouts included).');
  const throttles = counter('laambda_throttles_total', 'Invocations refused because the concurrency limit was reached.');
  const timeouts = counter('laambda_timeouts_total', 'Invocations stopped at the function timeout.');
  const coldStarts = counter('laambda_cold_starts_total', 'Invocations that started a new environment.');
  const billed = counter('laambda_billed_duration_seconds_total', 'Billed duration of all invocations.');
  const duration = new Histogram({
    name: 'laambda_invocation_duration_seconds',
    help: 'Duration of invocations, from the handler being called to its answer.',
    labelNames: FUNCTION_LABELS,
    buckets: DURATION_BUCKETS_S,
    registers,
  });
  const concurrent = new Gauge({
    name: 'laambda_concurrent_executions',
    help: 'Invocations running now.',
    labelNames: FUNCTION_LABELS,
    registers,
  });

  // The largest memory use of the current and the previous minute: a full minute's window
  // right after a boundary, and a function that stops being invoked falls to 0.
  const memory = new Map<string, { labels: FunctionLabels; minute: number; max: number; previous: number }>();
  new Gauge({
    name: 'laambda_max_memory_used_bytes',
    help: 'Largest memory use of an invocation over the last one to two minutes.',
    labelNames: FUNCTION_LABELS,
    registers,
    collect() {
      this.reset();
      const now = minuteOf(clock.now());
      for (const [key, entry] of memory) {
        const value =
          entry.minute === now ? Math.max(entry.max, entry.previous) : entry.minute === now - MINUTE_MS ? entry.max : 0;
        if (value === 0) memory.delete(key);
        else this.set(entry.labels, value * 1024 * 1024);
      }
    },
  });

  const queueMappings: Array<Source<QueueMappingGauge[]>> = [];
  const asyncQueues: Array<Source<AsyncQueueGauge[]>> = [];
  const environments: Array<Source<number>> = [];
  // A failing source leaves its series out of this scrape instead of failing /metrics.
  const read = async <T>(sources: Array<Source<T>>, what: string): Promise<T[]> => {
    const values: T[] = [];
    for (const source of sources) {
      try {
        values.push(await source());
      } catch (error) {
        logger.warn({ err: error, what }, 'metrics source failed');
      }
    }
    return values;
  };
  const gauge = (name: string, help: string, labelNames: string[], collect: (this: Gauge) => Promise<void>) =>
    new Gauge({ name, help, labelNames, registers, collect });
  const queueLabels = ['app', 'function', 'queue'];
  const readMappings = async (): Promise<QueueMappingGauge[]> => (await read(queueMappings, 'queue mappings')).flat();
  gauge('laambda_queue_lag_messages', 'Visible messages waiting in a mapped queue.', queueLabels, async function () {
    this.reset();
    for (const m of await readMappings()) this.set({ app: m.app, function: m.function, queue: m.queue }, m.lag);
  });
  gauge('laambda_queue_oldest_message_age_seconds', 'Age of the oldest message in a mapped queue.', queueLabels, async function () {
    this.reset();
    for (const m of await readMappings())
      this.set({ app: m.app, function: m.function, queue: m.queue }, m.ageOfOldestMessageS);
  });
  gauge('laambda_async_queue_depth', 'Async invocations waiting to run.', ['app'], async function () {
    this.reset();
    for (const a of (await read(asyncQueues, 'async queues')).flat()) this.set({ app: a.app }, a.depth);
  });
  gauge('laambda_async_retrying', 'Async invocations waiting for a retry.', ['app'], async function () {
    this.reset();
    for (const a of (await read(asyncQueues, 'async queues')).flat()) this.set({ app: a.app }, a.retrying);
  });
  gauge('laambda_environments', 'Function environments alive.', [], async function () {
    this.reset();
    const counts = await read(environments, 'environments');
    if (counts.length > 0) this.set(counts.reduce((sum, count) => sum + count, 0));
  });

  return {
    invoked(labels: FunctionLabels, facts: InvocationFacts): void {
      invocations.inc(labels);
      if (facts.error) errors.inc(labels);
      if (facts.timeout) timeouts.inc(labels);
      if (facts.coldStart) coldStarts.inc(labels);
      duration.observe(labels, facts.durationMs / 1000);
      billed.inc(labels, facts.billedMs / 1000);
      const key = JSON.stringify([labels.app, labels.function, labels.release]);
      const minute = minuteOf(clock.now());
      const entry = memory.get(key);
      if (entry === undefined) memory.set(key, { labels, minute, max: facts.memoryMB, previous: 0 });
      else if (entry.minute === minute) entry.max = Math.max(entry.max, facts.memoryMB);
      else {
        entry.previous = entry.minute === minute - MINUTE_MS ? entry.max : 0;
        entry.minute = minute;
        entry.max = facts.memoryMB;
      }
    },
    throttled(labels: FunctionLabels): void {
      throttles.inc(labels);
    },
    running(labels: FunctionLabels, delta: 1 | -1): void {
      concurrent.inc(labels, delta);
    },
    registerQueueMapping(source: Source<QueueMappingGauge[]>): void {
      queueMappings.push(source);
    },
    registerAsync(source: Source<AsyncQueueGauge[]>): void {
      asyncQueues.push(source);
    },
    registerEnvironments(source: Source<number>): void {
      environments.push(source);
    },
  };
}

export type PrometheusMetrics = ReturnType<typeof createPrometheusMetrics>;
