import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PlatformStorage } from '../../core/platform.ts';
import { isLaambdaError } from '../../core/errors.ts';
import { createSqliteStorage } from '../../storage/index.ts';
import { createLogService, parseSince, type LogService } from './index.ts';

describe('log queries', () => {
  let dir: string;
  let storage: PlatformStorage;
  let logs: LogService;
  let appId: string;
  let otherAppId: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'laambda-logs-'));
    storage = await createSqliteStorage({ dataDir: dir });
    appId = (await storage.apps.create({ name: 'shop', domain: null })).id;
    otherAppId = (await storage.apps.create({ name: 'blog', domain: null })).id;
    logs = await createLogService({ store: storage.logs, sweepIntervalMs: 0 });
    const line = (time: number, fn: string | null, requestId: string | null, text: string) =>
      logs.write({ appId, function: fn, requestId, release: 3, stream: 'stdout', time, line: text });
    line(1000, 'web', 'req-1', 'GET /users 200');
    line(2000, 'web', 'req-1', 'user 42 has 100% discount');
    line(3000, 'worker', 'req-2', 'processed order_77');
    line(4000, 'worker', 'req-2', 'processed orderX77');
    line(5000, 'web', 'req-3', 'ERROR payment declined');
    logs.event(appId, 'deploy', 'Deployed release 3', { release: 3 });
    logs.write({ appId: otherAppId, function: 'web', stream: 'stdout', time: 2500, line: 'GET /users from the blog' });
  });

  after(async () => {
    await logs.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  });

  const lines = async (filter: Omit<Parameters<LogService['query']>[0], 'appId'>) =>
    (await logs.query({ appId, ...filter })).map((entry) => entry.line);

  it('returns only the lines of the asked app, in the order they were written', async () => {
    const all = await logs.query({ appId });
    assert.equal(all.length, 6);
    assert.deepEqual(
      all.map((entry) => entry.id),
      [...all.map((entry) => entry.id)].sort((a, b) => a - b),
    );
    assert.ok(all.every((entry) => entry.appId === appId));
    const event = all.at(-1);
    assert.deepEqual(
      { stream: event?.stream, type: event?.type, function: event?.function, release: event?.release },
      { stream: 'event', type: 'deploy', function: null, release: 3 },
    );
  });

  it('filters by function', async () => {
    assert.deepEqual(await lines({ function: 'worker' }), ['processed order_77', 'processed orderX77']);
  });

  it('filters by request id', async () => {
    assert.deepEqual(await lines({ requestId: 'req-1' }), ['GET /users 200', 'user 42 has 100% discount']);
  });

  it('filters by time: since inclusive, until exclusive', async () => {
    assert.deepEqual(await lines({ since: 2000, until: 4000 }), ['user 42 has 100% discount', 'processed order_77']);
  });

  it('greps case-insensitively', async () => {
    assert.deepEqual(await lines({ grep: 'error PAYMENT' }), ['ERROR payment declined']);
    assert.deepEqual(await lines({ grep: 'get /USERS' }), ['GET /users 200']);
  });

  it('takes % and _ in grep text literally', async () => {
    assert.deepEqual(await lines({ grep: '100%' }), ['user 42 has 100% discount']);
    assert.deepEqual(await lines({ grep: '%' }), ['user 42 has 100% discount']);
    assert.deepEqual(await lines({ grep: 'order_77' }), ['processed order_77']);
  });

  it('returns the newest N lines, oldest first, for a limit', async () => {
    assert.deepEqual(await lines({ function: 'web', limit: 2 }), ['user 42 has 100% discount', 'ERROR payment declined']);
  });

  it('returns only lines after a given id', async () => {
    const all = await logs.query({ appId });
    const third = all[2]?.id ?? 0;
    assert.deepEqual(
      (await logs.query({ appId, afterId: third })).map((entry) => entry.id),
      all.slice(3).map((entry) => entry.id),
    );
  });

  it('refuses a limit that is not a positive whole number', async () => {
    await assert.rejects(logs.query({ appId, limit: 0 }), (error) => isLaambdaError(error) && error.code === 'ERR_LOGS_QUERY_INVALID');
  });
});

describe('parseSince', () => {
  const now = Date.UTC(2025, 0, 31, 12, 0, 0);

  it('reads durations back from now', () => {
    assert.equal(parseSince('30s', now), now - 30_000);
    assert.equal(parseSince('15m', now), now - 15 * 60_000);
    assert.equal(parseSince('1h', now), now - 3_600_000);
    assert.equal(parseSince('2d', now), now - 2 * 86_400_000);
  });

  it('reads ISO times', () => {
    assert.equal(parseSince('2025-01-30T08:00:00Z', now), Date.UTC(2025, 0, 30, 8));
  });

  it('refuses anything else with ERR_LOGS_QUERY_INVALID', () => {
    for (const text of ['', 'yesterday', '1', '5 weeks', '-1h', '1y']) {
      assert.throws(
        () => parseSince(text, now),
        (error) => isLaambdaError(error) && error.code === 'ERR_LOGS_QUERY_INVALID' && error.message.includes('30s'),
        text,
      );
    }
  });
});
