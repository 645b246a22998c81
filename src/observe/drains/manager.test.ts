import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import type { Drain, DrainEntry, DrainStore } from '../../core/drains.ts';
import type { Timers } from '../../core/schedules.ts';
import { createDrainManager } from './manager.ts';

// A store in memory: the SQLite one is exercised by test/integration/drains.test.ts.
function memoryStore(): DrainStore {
  const drains: Drain[] = [];
  return {
    async add(appId, url, now) {
      const existing = drains.find((d) => d.appId === appId && d.url === url);
      if (existing !== undefined) return { drain: existing, created: false };
      const drain = { id: String(drains.length + 1), appId, url, createdAt: now };
      drains.push(drain);
      return { drain, created: true };
    },
    async remove(appId, url) {
      const index = drains.findIndex((d) => d.appId === appId && d.url === url);
      if (index >= 0) drains.splice(index, 1);
      return index >= 0;
    },
    async list(appId) {
      return drains.filter((d) => d.appId === appId);
    },
    async listAll() {
      return [...drains];
    },
  };
}

/** Timers run by hand against a fake clock. */
function fakeTime(): { timers: Timers; clock: { now(): number; monotonic(): number }; advance(ms: number): void } {
  let now = 1_000_000;
  let pending: { at: number; fn: () => void }[] = [];
  return {
    clock: { now: () => now, monotonic: () => now },
    timers: {
      set(fn, ms) {
        const timer = { at: now + ms, fn };
        pending.push(timer);
        return () => {
          pending = pending.filter((t) => t !== timer);
        };
      },
    },
    advance(ms) {
      now += ms;
      const due = pending.filter((t) => t.at <= now);
      pending = pending.filter((t) => t.at > now);
      for (const timer of due) timer.fn();
    },
  };
}

const entry = (id: number): DrainEntry => ({ id, time: 0, appId: 'app', function: null, release: null, requestId: null, stream: 'stdout', type: null, line: `l${id}` });

describe('DrainManager drop reports', () => {
  const closers: (() => Promise<void>)[] = [];
  after(() => Promise.all(closers.map((close) => close())));

  it('reports dropped lines outside deliver(), at most once per second per drain', async () => {
    // A port nobody listens on: the drain stays down (its retries wait on the fake timers).
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    const time = fakeTime();
    const reports: number[] = [];
    const drains = createDrainManager({
      store: memoryStore(),
      appName: () => 'app',
      onDropped: (_app, _url, count) => reports.push(count),
      bufferLines: 10,
      clock: time.clock,
      timers: time.timers,
    });
    closers.push(() => drains.close({ graceMs: 0 }));
    await drains.add('app', `tcp://127.0.0.1:${port}`);

    for (let id = 1; id <= 25; id += 1) drains.deliver(entry(id));
    assert.deepEqual(reports, [], 'nothing reported from inside deliver()');
    time.advance(0);
    assert.deepEqual(reports, [15]);

    for (let id = 26; id <= 30; id += 1) drains.deliver(entry(id));
    time.advance(500);
    assert.deepEqual(reports, [15], 'not again within the second');
    for (let id = 31; id <= 32; id += 1) drains.deliver(entry(id));
    time.advance(500);
    assert.deepEqual(reports, [15, 7]);
    time.advance(5000);
    assert.deepEqual(reports, [15, 7], 'no report without drops');
    const [shown] = await drains.list('app');
    assert.equal(shown?.dropped, 22);
    assert.equal(shown?.buffered, 10);
  });
});
