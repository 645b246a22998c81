import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PlatformStorage } from '../../core/platform.ts';
import { createSqliteStorage } from '../../storage/index.ts';
import { type InvocationFacts, MINUTE_MS, RollupBuffer, series } from './rollups.ts';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const ok = (durationMs: number, extra: Partial<InvocationFacts> = {}): InvocationFacts => ({
  error: false,
  timeout: false,
  coldStart: false,
  durationMs,
  billedMs: Math.ceil(durationMs),
  memoryMB: 60,
  ...extra,
});

describe('one-minute rollups', () => {
  const orders = { appId: 'app-1', function: 'orders', release: '3' };

  it('keeps each minute apart and writes only the finished ones at a boundary', () => {
    const buffer = new RollupBuffer();
    buffer.invoked(orders, T0 + 1_000, ok(10, { coldStart: true }));
    buffer.invoked(orders, T0 + 59_999, ok(30, { error: true }));
    buffer.throttled(orders, T0 + 30_000);
    buffer.invoked(orders, T0 + MINUTE_MS, ok(20));

    const finished = buffer.take(T0 + MINUTE_MS);
    assert.equal(finished.length, 1);
    const [first] = finished;
    assert.equal(first!.minute, T0);
    assert.deepEqual(
      [first!.invocations, first!.errors, first!.throttles, first!.coldStarts, first!.billedMs, first!.durationMaxMs],
      [2, 1, 1, 1, 40, 30],
    );
    const rest = buffer.take();
    assert.deepEqual(
      rest.map((rollup) => [rollup.minute, rollup.invocations]),
      [[T0 + MINUTE_MS, 1]],
    );
    assert.deepEqual(buffer.take(), []);
  });

  it('puts back a minute whose write failed, with what arrived meanwhile', () => {
    const buffer = new RollupBuffer();
    buffer.invoked(orders, T0, ok(10));
    const taken = buffer.take();
    buffer.invoked(orders, T0 + 5, ok(50, { timeout: true, error: true }));
    buffer.restore(taken);
    const [merged] = buffer.take();
    assert.deepEqual([merged!.invocations, merged!.timeouts, merged!.durationMinMs, merged!.durationMaxMs], [2, 1, 10, 50]);
  });

  it('summarizes a window: totals, percentiles over all minutes, maxima', () => {
    const buffer = new RollupBuffer();
    const other = { ...orders, release: '4' };
    for (let i = 0; i < 99; i += 1) buffer.invoked(orders, T0 + i, ok(10));
    buffer.invoked(other, T0 + MINUTE_MS, ok(1000, { memoryMB: 120 }));
    buffer.concurrency(other, T0 + MINUTE_MS, 7);
    const result = series(buffer.take());

    assert.deepEqual(
      result.points.map((point) => [point.minute, point.invocations]),
      [
        [T0, 99],
        [T0 + MINUTE_MS, 1],
      ],
    );
    assert.equal(result.points[1]!.p99Ms, 1000);
    const { summary } = result;
    assert.equal(summary.invocations, 100);
    // 99 of 100 took 10 ms: p50 and p99 land in 10 ms's bucket, (9.51, 11.31].
    for (const value of [summary.p50Ms!, summary.p99Ms!]) assert.ok(value > 9.5 && value <= 11.32, `${value}`);
    assert.equal(summary.maxMs, 1000);
    assert.equal(summary.avgMs, (99 * 10 + 1000) / 100);
    assert.equal(summary.maxMemoryMB, 120);
    assert.equal(summary.maxConcurrency, 7);
  });

  it('has null durations for a window without invocations', () => {
    const buffer = new RollupBuffer();
    buffer.throttled(orders, T0);
    const { summary } = series(buffer.take());
    assert.deepEqual([summary.throttles, summary.p50Ms, summary.avgMs, summary.maxMs], [1, null, null, null]);
  });
});

describe('SQLite metric store', () => {
  let dir: string;
  let storage: PlatformStorage;
  let appId: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'laambda-metrics-'));
    storage = await createSqliteStorage({ dataDir: dir });
    appId = (await storage.apps.create({ name: 'shop', domain: null })).id;
  });

  after(async () => {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('merges a minute written in two parts, keeps the histogram, and deletes by age', async () => {
    const key = { appId, function: 'orders', release: '1' };
    const part = (durations: number[], at: number) => {
      const buffer = new RollupBuffer();
      for (const duration of durations) buffer.invoked(key, at, ok(duration));
      return buffer.take();
    };
    await storage.metrics.addRollups(part([5, 5, 5], T0));
    await storage.metrics.addRollups(part([800.5], T0 + 10));
    await storage.metrics.addRollups(part([7], T0 + MINUTE_MS));

    const rows = await storage.metrics.listRollups({ appId, since: T0, until: T0 + 2 * MINUTE_MS });
    assert.deepEqual(
      rows.map((row) => [row.minute, row.invocations, row.durationMinMs, row.durationMaxMs]),
      [
        [T0, 4, 5, 800.5],
        [T0 + MINUTE_MS, 1, 7, 7],
      ],
    );
    const summary = series(rows).summary;
    assert.equal(summary.invocations, 5);
    assert.equal(summary.maxMs, 800.5);
    assert.ok(summary.p50Ms! >= 5 && summary.p50Ms! < 6, `p50 ${summary.p50Ms}`);

    assert.deepEqual(await storage.metrics.listRollups({ appId, function: 'nope', since: T0, until: T0 + 3 * MINUTE_MS }), []);
    assert.equal(await storage.metrics.deleteRollupsBefore(T0 + MINUTE_MS), 1);
    const left = await storage.metrics.listRollups({ appId, since: 0, until: T0 + 3 * MINUTE_MS });
    assert.deepEqual(
      left.map((row) => row.minute),
      [T0 + MINUTE_MS],
    );
  });

  it('drops the minutes of an app that no longer exists instead of failing the write', async () => {
    const gone = (await storage.apps.create({ name: 'gone', domain: null })).id;
    const buffer = new RollupBuffer();
    buffer.invoked({ appId: gone, function: 'f', release: '1' }, T0, ok(1));
    buffer.invoked({ appId, function: 'g', release: '1' }, T0, ok(1));
    await storage.apps.remove(gone);
    await storage.metrics.addRollups(buffer.take());
    const rows = await storage.metrics.listRollups({ appId, function: 'g', since: T0, until: T0 + MINUTE_MS });
    assert.equal(rows.length, 1);
  });
});
