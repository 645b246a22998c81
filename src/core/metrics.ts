// The one-minute metric rollups model and its storage port (logs-and-metrics issue).

/** One minute of one function release's invocations, as kept for `laambda metrics` and charts. */
export interface MetricRollup {
  appId: string;
  function: string;
  /** The release number as text ("$LATEST" in dev). */
  release: string;
  /** Start of the minute, in milliseconds since the Unix epoch (a multiple of 60 000). */
  minute: number;
  invocations: number;
  errors: number;
  throttles: number;
  timeouts: number;
  coldStarts: number;
  /**
   * Invocation counts per bucket of the fixed log-scale duration histogram
   * (src/observe/metrics/histogram.ts); index i counts durations in bucket i.
   */
  durationCounts: number[];
  durationSumMs: number;
  /** Shortest and longest duration of the minute; 0 when there were no invocations. */
  durationMinMs: number;
  durationMaxMs: number;
  billedMs: number;
  maxMemoryMB: number;
  maxConcurrency: number;
}

/** Which rollups to read: one app, optionally one function, minutes in [since, until). */
export interface RollupQuery {
  appId: string;
  function?: string;
  since: number;
  until: number;
}

/** Storage of one-minute metric rollups; adapters live in src/storage. */
export interface MetricStore {
  /**
   * Adds the rollups to the stored ones: a row for the same (appId, function, release, minute)
   * is merged with `mergeRollups`, so a minute may be written in several parts. Rollups of an
   * app that no longer exists are dropped.
   */
  addRollups(rollups: readonly MetricRollup[]): Promise<void>;
  /** Rollups of the query's window, ordered by minute. */
  listRollups(query: RollupQuery): Promise<MetricRollup[]>;
  /** Deletes every rollup of a minute before `minute`; answers how many went. */
  deleteRollupsBefore(minute: number): Promise<number>;
}

/** An empty rollup for the key. */
export function emptyRollup(key: Pick<MetricRollup, 'appId' | 'function' | 'release' | 'minute'>): MetricRollup {
  return {
    ...key,
    invocations: 0,
    errors: 0,
    throttles: 0,
    timeouts: 0,
    coldStarts: 0,
    durationCounts: [],
    durationSumMs: 0,
    durationMinMs: 0,
    durationMaxMs: 0,
    billedMs: 0,
    maxMemoryMB: 0,
    maxConcurrency: 0,
  };
}

/** Adds `b` into a copy of `a`: counts and sums add, maxima take the larger; `a`'s key is kept. */
export function mergeRollups(a: MetricRollup, b: MetricRollup): MetricRollup {
  const length = Math.max(a.durationCounts.length, b.durationCounts.length);
  const durationCounts = Array.from({ length }, (_, i) => (a.durationCounts[i] ?? 0) + (b.durationCounts[i] ?? 0));
  // A side without invocations has no duration range to contribute.
  const durationMinMs =
    a.invocations === 0 ? b.durationMinMs : b.invocations === 0 ? a.durationMinMs : Math.min(a.durationMinMs, b.durationMinMs);
  return {
    ...a,
    invocations: a.invocations + b.invocations,
    errors: a.errors + b.errors,
    throttles: a.throttles + b.throttles,
    timeouts: a.timeouts + b.timeouts,
    coldStarts: a.coldStarts + b.coldStarts,
    durationCounts,
    durationSumMs: a.durationSumMs + b.durationSumMs,
    durationMinMs,
    durationMaxMs: Math.max(a.durationMaxMs, b.durationMaxMs),
    billedMs: a.billedMs + b.billedMs,
    maxMemoryMB: Math.max(a.maxMemoryMB, b.maxMemoryMB),
    maxConcurrency: Math.max(a.maxConcurrency, b.maxConcurrency),
  };
}
