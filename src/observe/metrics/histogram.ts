// The fixed log-scale duration histogram kept per minute. Four buckets per doubling from 1 ms
// to 2^20 ms (17.5 min, past Lambda's 15-minute limit): a percentile read back is off by at
// most one bucket's width, about 19% of the value, whatever the duration — and a minute of
// any number of invocations stores at most 82 counts, which add up across minutes.

const BUCKETS_PER_DOUBLING = 4;
const DOUBLINGS = 20;

/**
 * Upper bounds (inclusive, ms) of the buckets: bucket 0 holds [0, 1], bucket i holds
 * (UPPER[i-1], UPPER[i]], and the last bucket holds everything longer than 2^20 ms.
 */
export const DURATION_BUCKET_UPPER_MS: readonly number[] = [
  ...Array.from({ length: BUCKETS_PER_DOUBLING * DOUBLINGS + 1 }, (_, i) => 2 ** (i / BUCKETS_PER_DOUBLING)),
  Number.POSITIVE_INFINITY,
];

export const DURATION_BUCKET_COUNT = DURATION_BUCKET_UPPER_MS.length;

/** The bucket a duration falls in. */
export function bucketOf(durationMs: number): number {
  if (!(durationMs > 1)) return 0;
  // The logarithm gives the bucket directly; the checks absorb floating-point error at bounds.
  let index = Math.min(Math.ceil(Math.log2(durationMs) * BUCKETS_PER_DOUBLING), DURATION_BUCKET_COUNT - 1);
  while (index > 0 && durationMs <= DURATION_BUCKET_UPPER_MS[index - 1]!) index -= 1;
  while (durationMs > DURATION_BUCKET_UPPER_MS[index]!) index += 1;
  return index;
}

/** Counts one duration into `counts` (grown as needed). */
export function observe(counts: number[], durationMs: number): void {
  const index = bucketOf(durationMs);
  while (counts.length <= index) counts.push(0);
  counts[index]! += 1;
}

export interface PercentileBounds {
  /** The shortest and longest duration counted: a percentile never falls outside them. */
  minMs: number;
  maxMs: number;
}

/**
 * The q-quantile (0 < q ≤ 1) of the counted durations, interpolated linearly inside the bucket
 * that holds it and clamped to the observed range; undefined when nothing was counted.
 */
export function percentile(counts: readonly number[], q: number, bounds: PercentileBounds): number | undefined {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let before = 0;
  for (let index = 0; index < counts.length; index += 1) {
    const count = counts[index] ?? 0;
    if (count === 0) continue;
    if (before + count >= rank) {
      const lower = index === 0 ? 0 : DURATION_BUCKET_UPPER_MS[index - 1]!;
      const upper = Math.min(DURATION_BUCKET_UPPER_MS[index]!, bounds.maxMs);
      const value = lower + ((rank - before) / count) * (upper - lower);
      return Math.min(Math.max(value, bounds.minMs), bounds.maxMs);
    }
    before += count;
  }
  return bounds.maxMs;
}
