// One-minute aggregates kept in memory until they are written, and the read side that turns
// stored and pending minutes into per-minute points and a summary over a window.
import { emptyRollup, type MetricRollup, mergeRollups } from '../../core/metrics.ts';
import { observe, percentile } from './histogram.ts';

export const MINUTE_MS = 60_000;

export const minuteOf = (time: number): number => Math.floor(time / MINUTE_MS) * MINUTE_MS;

/** Which rollup an observation belongs to, without the minute. */
export interface RollupKey {
  appId: string;
  function: string;
  release: string;
}

/** What one finished invocation contributes to its minute. */
export interface InvocationFacts {
  error: boolean;
  timeout: boolean;
  coldStart: boolean;
  durationMs: number;
  billedMs: number;
  memoryMB: number;
}

const keyText = (key: RollupKey, minute: number): string =>
  JSON.stringify([key.appId, key.function, key.release, minute]);

/** The minutes not yet written to the store, by (app, function, release, minute). */
export class RollupBuffer {
  #pending = new Map<string, MetricRollup>();

  #entry(key: RollupKey, time: number): MetricRollup {
    const minute = minuteOf(time);
    const text = keyText(key, minute);
    let rollup = this.#pending.get(text);
    if (rollup === undefined) {
      rollup = emptyRollup({ appId: key.appId, function: key.function, release: key.release, minute });
      this.#pending.set(text, rollup);
    }
    return rollup;
  }

  invoked(key: RollupKey, time: number, facts: InvocationFacts): void {
    const rollup = this.#entry(key, time);
    rollup.durationMinMs = rollup.invocations === 0 ? facts.durationMs : Math.min(rollup.durationMinMs, facts.durationMs);
    rollup.durationMaxMs = Math.max(rollup.durationMaxMs, facts.durationMs);
    rollup.invocations += 1;
    if (facts.error) rollup.errors += 1;
    if (facts.timeout) rollup.timeouts += 1;
    if (facts.coldStart) rollup.coldStarts += 1;
    observe(rollup.durationCounts, facts.durationMs);
    rollup.durationSumMs += facts.durationMs;
    rollup.billedMs += facts.billedMs;
    rollup.maxMemoryMB = Math.max(rollup.maxMemoryMB, facts.memoryMB);
  }

  throttled(key: RollupKey, time: number): void {
    this.#entry(key, time).throttles += 1;
  }

  /** Records how many invocations of the key were running at once. */
  concurrency(key: RollupKey, time: number, running: number): void {
    const rollup = this.#entry(key, time);
    rollup.maxConcurrency = Math.max(rollup.maxConcurrency, running);
  }

  /** Removes and answers the minutes that started before `minute` (all of them by default). */
  take(beforeMinute = Number.POSITIVE_INFINITY): MetricRollup[] {
    const taken: MetricRollup[] = [];
    for (const [text, rollup] of this.#pending) {
      if (rollup.minute < beforeMinute) {
        taken.push(rollup);
        this.#pending.delete(text);
      }
    }
    return taken;
  }

  /** Puts minutes back (a write failed), merging with what arrived meanwhile. */
  restore(rollups: readonly MetricRollup[]): void {
    for (const rollup of rollups) {
      const text = keyText(rollup, rollup.minute);
      const current = this.#pending.get(text);
      this.#pending.set(text, current === undefined ? rollup : mergeRollups(rollup, current));
    }
  }

  /** Copies of the pending minutes of one app (and function). */
  peek(appId: string, fn?: string): MetricRollup[] {
    return [...this.#pending.values()]
      .filter((rollup) => rollup.appId === appId && (fn === undefined || rollup.function === fn))
      .map((rollup) => mergeRollups(rollup, emptyRollup(rollup)));
  }
}

/** Totals over some minutes; durations in ms, null when there were no invocations. */
export interface MetricSummary {
  invocations: number;
  errors: number;
  throttles: number;
  timeouts: number;
  coldStarts: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  avgMs: number | null;
  maxMs: number | null;
  billedMs: number;
  maxMemoryMB: number;
  /** The highest concurrency any one function release reached in one minute. */
  maxConcurrency: number;
}

/** One minute of a series: the summary of that minute. */
export interface MetricPoint extends MetricSummary {
  minute: number;
}

/** The summary of a rollup (one minute, or several merged). */
export function summarize(rollup: MetricRollup): MetricSummary {
  const bounds = { minMs: rollup.durationMinMs, maxMs: rollup.durationMaxMs };
  const has = rollup.invocations > 0;
  return {
    invocations: rollup.invocations,
    errors: rollup.errors,
    throttles: rollup.throttles,
    timeouts: rollup.timeouts,
    coldStarts: rollup.coldStarts,
    p50Ms: percentile(rollup.durationCounts, 0.5, bounds) ?? null,
    p90Ms: percentile(rollup.durationCounts, 0.9, bounds) ?? null,
    p99Ms: percentile(rollup.durationCounts, 0.99, bounds) ?? null,
    avgMs: has ? rollup.durationSumMs / rollup.invocations : null,
    maxMs: has ? rollup.durationMaxMs : null,
    billedMs: rollup.billedMs,
    maxMemoryMB: rollup.maxMemoryMB,
    maxConcurrency: rollup.maxConcurrency,
  };
}

/** A series of rollups: one point per minute that has data (ordered), and the window's summary. */
export interface MetricSeries {
  points: MetricPoint[];
  summary: MetricSummary;
}

/** Merges rollups per minute into points, and all of them into the summary. */
export function series(rollups: readonly MetricRollup[]): MetricSeries {
  const byMinute = new Map<number, MetricRollup>();
  let total = emptyRollup({ appId: '', function: '', release: '', minute: 0 });
  for (const rollup of rollups) {
    const current = byMinute.get(rollup.minute);
    byMinute.set(rollup.minute, current === undefined ? rollup : mergeRollups(current, rollup));
    total = mergeRollups(total, rollup);
  }
  const points = [...byMinute.values()]
    .sort((a, b) => a.minute - b.minute)
    .map((rollup) => ({ minute: rollup.minute, ...summarize(rollup) }));
  return { points, summary: summarize(total) };
}
