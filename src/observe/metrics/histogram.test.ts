import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketOf, DURATION_BUCKET_COUNT, DURATION_BUCKET_UPPER_MS, observe, percentile } from './histogram.ts';

function histogramOf(durations: number[]) {
  const counts: number[] = [];
  for (const duration of durations) observe(counts, duration);
  return { counts, bounds: { minMs: Math.min(...durations), maxMs: Math.max(...durations) } };
}

/** The exact q-quantile by nearest rank, to compare against. */
function exact(durations: number[], q: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

describe('duration histogram', () => {
  it('puts every duration from 0 ms to past 15 minutes in the bucket whose bounds hold it', () => {
    for (const duration of [0, 0.3, 1, 1.0001, 2, 3, 100, 999.9, 60_000, 900_000, 2 ** 20, 2 ** 20 + 1, 1e9]) {
      const index = bucketOf(duration);
      assert.ok(index >= 0 && index < DURATION_BUCKET_COUNT, `bucket of ${duration}`);
      assert.ok(duration <= DURATION_BUCKET_UPPER_MS[index]!, `${duration} ≤ upper bound of bucket ${index}`);
      if (index > 0) assert.ok(duration > DURATION_BUCKET_UPPER_MS[index - 1]!, `${duration} > lower bound of ${index}`);
    }
    assert.equal(bucketOf(2 ** 20 + 1), DURATION_BUCKET_COUNT - 1);
  });

  it('answers the exact value when every duration is the same', () => {
    const { counts, bounds } = histogramOf(Array(100).fill(100));
    assert.equal(percentile(counts, 0.5, bounds), 100);
    assert.equal(percentile(counts, 0.99, bounds), 100);
  });

  it('answers percentiles within one bucket (about 19%) of the exact ones', () => {
    // 1..1000 ms: the exact p50 is 500, p90 900, p99 990.
    const durations = Array.from({ length: 1000 }, (_, i) => i + 1);
    const { counts, bounds } = histogramOf(durations);
    for (const q of [0.5, 0.9, 0.99]) {
      const estimate = percentile(counts, q, bounds)!;
      const truth = exact(durations, q);
      assert.ok(Math.abs(estimate - truth) / truth < 0.19, `p${q * 100}: ${estimate} vs ${truth}`);
    }
  });

  it('finds the slow tail: p99 of 98 fast and 2 slow invocations is slow', () => {
    const { counts, bounds } = histogramOf([...Array(98).fill(5), 2000, 2000]);
    assert.ok(Math.abs(percentile(counts, 0.5, bounds)! - 5) / 5 < 0.19);
    const p99 = percentile(counts, 0.99, bounds)!;
    assert.ok(p99 > 1600 && p99 <= 2000, `p99 = ${p99}`);
  });

  it('never answers outside the observed range', () => {
    const { counts, bounds } = histogramOf([3.2, 3.3, 3.4]);
    for (const q of [0.01, 0.5, 1]) {
      const value = percentile(counts, q, bounds)!;
      assert.ok(value >= 3.2 && value <= 3.4, `p${q * 100} = ${value}`);
    }
  });

  it('has no percentile for an empty histogram', () => {
    assert.equal(percentile([], 0.5, { minMs: 0, maxMs: 0 }), undefined);
  });
});
