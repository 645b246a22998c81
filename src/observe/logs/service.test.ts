import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { LogEntry, LogStore } from '../../core/logs.ts';
import type { PlatformStorage } from '../../core/platform.ts';
import type { Clock } from '../../core/ports.ts';
import { createSqliteStorage } from '../../storage/index.ts';
import { createLogService, type LogService } from './index.ts';

const HOUR = 3_600_000;

function fakeClock(start: number): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, monotonic: () => now, advance: (ms) => (now += ms) };
}

/** The store with its append replaced: an injected fault. */
function withAppend(inner: LogStore, append: LogStore['append']): LogStore {
  return {
    append,
    query: (filter) => inner.query(filter),
    lastId: () => inner.lastId(),
    deleteOlderThan: (time) => inner.deleteOlderThan(time),
    capBytesPerApp: (max) => inner.capBytesPerApp(max),
    usage: () => inner.usage(),
  };
}

/** A store whose appends wait until the test opens the gate: storage that has fallen behind. */
function gatedStore(inner: LogStore): { store: LogStore; open(): void; appendsStarted(): number } {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = 0;
  const store = withAppend(inner, async (entries) => {
    started += 1;
    await gate;
    return inner.append(entries);
  });
  return { store, open: () => release(), appendsStarted: () => started };
}

describe('log service', () => {
  const dirs: string[] = [];
  let storage: PlatformStorage;
  let appId: string;
  let otherAppId: string;
  const services: LogService[] = [];

  beforeEach(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'laambda-logs-'));
    dirs.push(dir);
    storage = await createSqliteStorage({ dataDir: dir });
    appId = (await storage.apps.create({ name: 'shop', domain: null })).id;
    otherAppId = (await storage.apps.create({ name: 'blog', domain: null })).id;
  });

  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.close()));
    await storage.close();
  });

  after(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const start = async (options: Partial<Parameters<typeof createLogService>[0]> = {}): Promise<LogService> => {
    const service = await createLogService({ store: storage.logs, sweepIntervalMs: 0, ...options });
    services.push(service);
    return service;
  };

  it('delivers a written line to a tail subscriber before it is flushed', async () => {
    // An hour between flushes: only delivery on accept can reach the subscriber.
    const logs = await start({ flushIntervalMs: HOUR });
    const seen: LogEntry[] = [];
    const arrived = new Promise<void>((resolve) =>
      logs.subscribe({ appId, function: 'web' }, (entry) => {
        seen.push(entry);
        resolve();
      }),
    );
    logs.write({ appId, function: 'worker', stream: 'stdout', line: 'not for this tail' });
    logs.write({ appId: otherAppId, function: 'web', stream: 'stdout', line: 'another app' });
    logs.write({ appId, function: 'web', requestId: 'r1', stream: 'stdout', line: 'hello from web' });
    await arrived;
    assert.deepEqual(
      seen.map((entry) => entry.line),
      ['hello from web'],
    );
    assert.equal(logs.stats().written, 0, 'nothing was flushed yet');
    assert.equal(logs.stats().buffered, 3);
  });

  it('filters tail lines by request id and text, and stops after unsubscribe', async () => {
    const logs = await start({ flushIntervalMs: HOUR });
    const seen: string[] = [];
    const stop = logs.subscribe({ appId, requestId: 'r2', grep: 'TIMEOUT' }, (entry) => seen.push(entry.line));
    logs.write({ appId, requestId: 'r1', stream: 'stdout', line: 'timeout in r1' });
    logs.write({ appId, requestId: 'r2', stream: 'stdout', line: 'all good' });
    logs.write({ appId, requestId: 'r2', stream: 'stderr', line: 'Task timeout after 3 s' });
    stop();
    logs.write({ appId, requestId: 'r2', stream: 'stderr', line: 'timeout again' });
    assert.deepEqual(seen, ['Task timeout after 3 s']);
  });

  it('keeps writing when a subscriber throws', async () => {
    const logs = await start();
    logs.subscribe({ appId }, () => {
      throw new Error('broken tail');
    });
    assert.ok(logs.write({ appId, stream: 'stdout', line: 'one' }));
    assert.deepEqual(
      (await logs.query({ appId })).map((entry) => entry.line),
      ['one'],
    );
  });

  it('numbers lines in acceptance order and returns them in that order', async () => {
    const logs = await start({ maxBatch: 7 });
    const ids: number[] = [];
    for (let n = 0; n < 50; n += 1) {
      const fn = n % 2 === 0 ? 'web' : 'worker';
      ids.push(logs.write({ appId, function: fn, stream: 'stdout', line: `line ${n}` })?.id ?? -1);
    }
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, 50);
    const stored = await logs.query({ appId });
    assert.deepEqual(
      stored.map((entry) => entry.line),
      Array.from({ length: 50 }, (_, n) => `line ${n}`),
    );
    assert.deepEqual(
      stored.map((entry) => entry.id),
      ids,
    );
    assert.deepEqual(logs.stats(), { accepted: 50, written: 50, dropped: 0, buffered: 0 });
  });

  it('continues the ids after the stored ones when started again', async () => {
    const first = await start();
    const last = first.write({ appId, stream: 'stdout', line: 'before restart' });
    await first.close();
    const second = await start();
    const next = second.write({ appId, stream: 'stdout', line: 'after restart' });
    assert.ok(last !== undefined && next !== undefined && next.id > last.id);
    assert.deepEqual(
      (await second.query({ appId })).map((entry) => entry.line),
      ['before restart', 'after restart'],
    );
  });

  it('fills in the time from the clock when a line has none', async () => {
    const clock = fakeClock(1_700_000_000_000);
    const logs = await start({ clock });
    logs.write({ appId, stream: 'stdout', line: 'now' });
    logs.write({ appId, stream: 'stdout', line: 'then', time: 42 });
    assert.deepEqual(
      (await logs.query({ appId })).map((entry) => entry.time),
      [1_700_000_000_000, 42],
    );
  });

  it('deletes lines older than the maximum age on a sweep', async () => {
    const clock = fakeClock(Date.UTC(2025, 0, 1));
    const logs = await start({ clock, retention: { maxAgeMs: 24 * HOUR } });
    logs.write({ appId, stream: 'stdout', line: 'two days old' });
    logs.write({ appId: otherAppId, stream: 'stdout', line: 'two days old, blog' });
    clock.advance(24 * HOUR);
    logs.write({ appId, stream: 'stdout', line: 'one day old' });
    clock.advance(24 * HOUR);
    logs.write({ appId, stream: 'stdout', line: 'fresh' });
    await logs.flush();
    const result = await logs.sweep();
    assert.deepEqual(result, { expired: 2, trimmed: 0 });
    assert.deepEqual(
      (await logs.query({ appId })).map((entry) => entry.line),
      ['one day old', 'fresh'],
    );
    assert.deepEqual(await logs.query({ appId: otherAppId }), []);
  });

  it('deletes the oldest lines of an app over its size cap, and only that app', async () => {
    const logs = await start({ retention: { maxBytesPerApp: 1000 } });
    const hundred = (n: number) => `${String(n).padStart(3, '0')} ${'x'.repeat(96)}`;
    for (let n = 0; n < 25; n += 1) logs.write({ appId, stream: 'stdout', line: hundred(n) });
    for (let n = 0; n < 5; n += 1) logs.write({ appId: otherAppId, stream: 'stdout', line: hundred(n) });
    await logs.flush();
    const result = await logs.sweep();
    assert.deepEqual(result, { expired: 0, trimmed: 15 });
    const kept = await logs.query({ appId });
    assert.deepEqual(
      kept.map((entry) => entry.line.slice(0, 3)),
      Array.from({ length: 10 }, (_, n) => String(n + 15).padStart(3, '0')),
    );
    assert.equal((await logs.query({ appId: otherAppId })).length, 5);
    assert.deepEqual((await storage.logs.usage()).get(appId), { bytes: 1000, lines: 10 });
  });

  it('returns at once and drops the oldest unwritten lines when storage is blocked', async () => {
    const gated = gatedStore(storage.logs);
    const logs = await start({ store: gated.store, maxBuffered: 1000, maxBatch: 100 });
    for (let n = 0; n < 5000; n += 1) {
      // Each write returns its entry synchronously although no append has finished.
      assert.ok(logs.write({ appId, stream: 'stdout', line: `line ${n}` }));
      // Yield now and then so the service can start (and block on) a batch.
      if (n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const stats = logs.stats();
    assert.ok(gated.appendsStarted() >= 1, 'a batch was handed to the store');
    assert.equal(stats.accepted, 5000);
    assert.equal(stats.written, 0);
    assert.ok(stats.buffered <= 1000 + 100, `buffered ${stats.buffered} stays within the bound (plus one batch in flight)`);
    assert.equal(stats.dropped + stats.buffered, 5000);

    gated.open();
    await logs.flush();
    const after = logs.stats();
    assert.equal(after.buffered, 0);
    assert.equal(after.written + after.dropped, 5000);
    const stored = await logs.query({ appId, limit: 5000 });
    assert.equal(stored.length, after.written);
    // What survives is the newest lines (plus the batch already in flight).
    assert.equal(stored.at(-1)?.line, 'line 4999');
  });

  it('counts lines a failing store could not keep as dropped', async () => {
    const failing = withAppend(storage.logs, () => Promise.reject(new Error('disk full')));
    const logs = await start({ store: failing });
    logs.write({ appId, stream: 'stdout', line: 'lost' });
    await logs.flush();
    assert.deepEqual(logs.stats(), { accepted: 1, written: 0, dropped: 1, buffered: 0 });
  });

  it('keeps the lines of other apps when an app is removed while its lines wait', async () => {
    const logs = await start({ flushIntervalMs: HOUR });
    logs.write({ appId, stream: 'stdout', line: 'shop line' });
    logs.write({ appId: otherAppId, stream: 'stdout', line: 'blog line' });
    await storage.apps.remove(otherAppId);
    await logs.flush();
    assert.deepEqual(
      (await logs.query({ appId })).map((entry) => entry.line),
      ['shop line'],
    );
  });
});
