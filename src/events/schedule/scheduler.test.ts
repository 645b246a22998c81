import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { ScheduleEventSource } from '../../core/app.ts';
import type { App, PlatformStorage } from '../../core/platform.ts';
import { silentLogger } from '../../core/ports.ts';
import { createSqliteStorage } from '../../storage/index.ts';
import { createFakeTime, type FakeTime } from './fake-time.ts';
import { tickId } from './payload.ts';
import { createScheduler, type Scheduler, type ScheduleTick } from './scheduler.ts';

const T0 = Date.parse('2024-03-01T00:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

const schedule = (expression: string, extra: Partial<ScheduleEventSource> = {}): ScheduleEventSource => ({ kind: 'schedule', expression, enabled: true, ...extra });

describe('scheduler', () => {
  let storage: PlatformStorage;
  let app: App;
  let time: FakeTime;
  let fired: ScheduleTick[];
  let waiters: Array<() => void>;
  const running: Scheduler[] = [];

  beforeEach(async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'laambda-schedule-'));
    dirs.push(dataDir);
    storage = await createSqliteStorage({ dataDir });
    app = await storage.apps.create({ name: 'shop', domain: null });
    time = createFakeTime(T0);
    fired = [];
    waiters = [];
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((scheduler) => scheduler.stop()));
    await storage.close();
  });

  function start(): Scheduler {
    const scheduler = createScheduler({
      store: storage.schedules,
      clock: time,
      timers: time,
      region: 'eu-west-1',
      accountId: '123456789012',
      logger: silentLogger,
      async fire(tick) {
        fired.push(tick);
        for (const wake of waiters.splice(0)) wake();
      },
    });
    running.push(scheduler);
    return scheduler;
  }

  /** Resolves when `count` ticks have fired in all. */
  const firedCount = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => (fired.length >= count ? resolve() : waiters.push(check));
      check();
    });

  /** Stops a scheduler as a server shutting down would. */
  async function shutDown(scheduler: Scheduler): Promise<void> {
    await scheduler.stop();
    running.splice(running.indexOf(scheduler), 1);
  }

  it('fires a rate schedule on each tick from its creation, each tick once, with the Scheduled Event', async () => {
    const scheduler = start();
    time.advance(30_000);
    await scheduler.sync(app.id, 'shop', [{ functionName: 'report', source: schedule('rate(5 minutes)') }]);
    await time.waitForTimer();
    const anchor = T0 + 30_000;
    assert.equal(scheduler.upcoming(app.id)[0]?.nextFireAt, anchor + 5 * MIN);
    time.advanceTo(anchor + 5 * MIN - 1);
    assert.equal(fired.length, 0);
    time.advance(1);
    await firedCount(1);
    const id = tickId(app.id, 'report', 'rate(5 minutes)', anchor + 5 * MIN);
    assert.deepEqual(fired[0]?.event, {
      version: '0',
      id,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: iso(anchor + 5 * MIN),
      region: 'eu-west-1',
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/shop-report-1'],
      detail: {},
    });
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(fired[0]?.id, id);

    await time.waitForTimer();
    time.advanceTo(anchor + 10 * MIN);
    await firedCount(2);
    await time.waitForTimer();
    assert.deepEqual(
      fired.map((tick) => iso(tick.scheduledAt)),
      [iso(anchor + 5 * MIN), iso(anchor + 10 * MIN)],
    );
    assert.equal(scheduler.upcoming(app.id)[0]?.lastFiredAt, anchor + 10 * MIN);
  });

  it('does not fire a tick again after a restart, and fires only the latest tick missed while down', async () => {
    const first = start();
    await first.sync(app.id, 'shop', [{ functionName: 'report', source: schedule('rate(5 minutes)') }]);
    await time.waitForTimer();
    time.advanceTo(T0 + 5 * MIN);
    await firedCount(1);
    await shutDown(first);

    time.advanceTo(T0 + 5 * MIN + 30_000);
    const second = start();
    await second.sync(app.id, 'shop', [{ functionName: 'report', source: schedule('rate(5 minutes)') }]);
    await time.waitForTimer();
    assert.equal(fired.length, 1, 'the 5-minute tick is not fired again');
    await shutDown(second);

    // Down through the ticks at 10, 15 and 20 minutes.
    time.advanceTo(T0 + 22 * MIN);
    const third = start();
    await third.sync(app.id, 'shop', [{ functionName: 'report', source: schedule('rate(5 minutes)') }]);
    await firedCount(2);
    await time.waitForTimer();
    assert.deepEqual(
      fired.map((tick) => iso(tick.scheduledAt)),
      [iso(T0 + 5 * MIN), iso(T0 + 20 * MIN)],
    );
    time.advanceTo(T0 + 25 * MIN);
    await firedCount(3);
    assert.equal(fired[2]?.scheduledAt, T0 + 25 * MIN, 'rate ticks keep their anchor across restarts');
  });

  it('does not fire a disabled schedule, nor catch up its ticks once enabled again', async () => {
    const scheduler = start();
    await scheduler.sync(app.id, 'shop', [{ functionName: 'report', source: schedule('rate(5 minutes)', { enabled: false }) }]);
    assert.equal(time.pending(), 0);
    assert.deepEqual(scheduler.upcoming(app.id), [
      { functionName: 'report', expression: 'rate(5 minutes)', enabled: false, nextFireAt: undefined, lastFiredAt: null },
    ]);
    time.advanceTo(T0 + 12 * MIN);
    await scheduler.sync(app.id, 'shop', [{ functionName: 'report', source: schedule('rate(5 minutes)') }]);
    await time.waitForTimer();
    assert.equal(fired.length, 0, 'the ticks at 5 and 10 minutes passed while disabled');
    time.advanceTo(T0 + 15 * MIN);
    await firedCount(1);
    assert.equal(fired[0]?.scheduledAt, T0 + 15 * MIN);
  });

  it('fires cron schedules with #, L and W on the right dates, and sends a constant input when set', async () => {
    const scheduler = start();
    await scheduler.sync(app.id, 'shop', [
      { functionName: 'monday', source: schedule('cron(0 9 ? * 2#1 *)') },
      { functionName: 'month-end', source: schedule('cron(0 0 L * ? *)', { input: { job: 'close-books' } }) },
      { functionName: 'payday', source: schedule('cron(0 0 15W * ? *)') },
    ]);
    const next = Object.fromEntries(scheduler.upcoming(app.id).map((s) => [s.functionName, iso(s.nextFireAt ?? 0)]));
    assert.deepEqual(next, { monday: '2024-03-04T09:00:00Z', 'month-end': '2024-03-31T00:00:00Z', payday: '2024-03-15T00:00:00Z' });

    await time.waitForTimer();
    time.advanceTo(Date.parse('2024-03-04T09:00:00Z'));
    await firedCount(1);
    time.advanceTo(Date.parse('2024-03-15T00:00:00Z'));
    await firedCount(2);
    time.advanceTo(Date.parse('2024-03-31T00:00:00Z'));
    await firedCount(3);
    assert.deepEqual(
      fired.map((tick) => [tick.functionName, iso(tick.scheduledAt)]),
      [
        ['monday', '2024-03-04T09:00:00Z'],
        ['payday', '2024-03-15T00:00:00Z'],
        ['month-end', '2024-03-31T00:00:00Z'],
      ],
    );
    assert.deepEqual(fired[2]?.event, { job: 'close-books' });
    assert.equal((fired[0]?.event as { time: string }).time, '2024-03-04T09:00:00Z');
    const upcoming = Object.fromEntries(scheduler.upcoming(app.id).map((s) => [s.functionName, iso(s.nextFireAt ?? 0)]));
    assert.equal(upcoming.monday, '2024-04-01T09:00:00Z');
  });

  it('forgets schedules a redeploy removed', async () => {
    const scheduler = start();
    await scheduler.sync(app.id, 'shop', [{ functionName: 'report', source: schedule('rate(1 hour)') }]);
    assert.equal((await storage.schedules.list(app.id)).length, 1);
    await scheduler.sync(app.id, 'shop', []);
    assert.deepEqual(await storage.schedules.list(app.id), []);
    assert.deepEqual(scheduler.upcoming(app.id), []);
    assert.equal(time.pending(), 0);
  });
});
