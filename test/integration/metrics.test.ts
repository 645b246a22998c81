// Metrics of real invocations: a real engine runs tiny Node handlers (answering, throwing, timing
// out, throttled), the instrumented engine records them, /metrics is served by a real HTTP server
// and read with a Prometheus text parser, and the one-minute rollups land in SQLite.
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
// @ts-expect-error -- parse-prometheus-text-format ships no type declarations
import parsePrometheusTextFormatUntyped from 'parse-prometheus-text-format';

import { isLaambdaError } from '../../src/core/errors.ts';
import type { PlatformStorage } from '../../src/core/platform.ts';
import { type Clock, silentLogger } from '../../src/core/ports.ts';
import { createMetrics, createMetricsHandler, type Metrics } from '../../src/observe/metrics/index.ts';
import type { Engine, FunctionSpec } from '../../src/runtime/index.ts';
import { createSqliteStorage } from '../../src/storage/index.ts';
import { COORDINATION_CJS, EngineHarness, nodeFunction, ok, waitFor } from '../support/engine.ts';

interface ParsedMetric {
  labels?: Record<string, string>;
  value?: string;
  count?: string;
  sum?: string;
  buckets?: Record<string, string>;
}
interface ParsedFamily {
  name: string;
  type: string;
  metrics: ParsedMetric[];
}
const parsePrometheusTextFormat = parsePrometheusTextFormatUntyped as (text: string) => ParsedFamily[];

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 5, 1, 9, 0, 0);
const TOKEN = 'metrics-test-token';

const harness = new EngineHarness();
let storage: PlatformStorage;
let appId: string;
let metrics: Metrics;
let engine: Engine;
let now = T0;
const clock: Clock = { now: () => now, monotonic: () => now };
const servers: Server[] = [];

async function serve(isPublic: boolean): Promise<string> {
  const handler = createMetricsHandler({
    metrics,
    public: isPublic,
    authorize: async (req) => req.headers.authorization === `Bearer ${TOKEN}`,
  });
  const server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Scrapes /metrics with the token; answers the text and its parse. */
async function scrapeText(base: string): Promise<{ text: string; families: ParsedFamily[] }> {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, families: parsePrometheusTextFormat(text) };
}

const scrape = async (base: string): Promise<ParsedFamily[]> => (await scrapeText(base)).families;

/**
 * One series of a labelled histogram. parse-prometheus-text-format 1.1.1 merges the buckets of
 * every label set of a histogram into one and drops their _count and _sum; fed the one series
 * with its labels taken off (le stays), it reads it as Prometheus does.
 */
function histogram(text: string, name: string, labels: Record<string, string>): ParsedMetric | undefined {
  const selectors = Object.entries(labels).map(([key, label]) => `${key}="${label}"`);
  const lines = text
    .split('\n')
    .filter(
      (line) =>
        line.startsWith(`# HELP ${name} `) ||
        line.startsWith(`# TYPE ${name} `) ||
        (line.startsWith(`${name}_`) && selectors.every((selector) => line.includes(selector))),
    )
    .map((line) => selectors.reduce((rest, selector) => rest.replace(`${selector},`, '').replace(selector, ''), line))
    .map((line) => line.replace(/,?\}/, '}').replace('{}', ''));
  const [family] = parsePrometheusTextFormat(`${lines.join('\n')}\n`);
  assert.equal(family?.type, 'HISTOGRAM');
  return family.metrics[0];
}

function series(families: ParsedFamily[], name: string, labels: Record<string, string>): ParsedMetric | undefined {
  const family = families.find((candidate) => candidate.name === name);
  return family?.metrics.find((metric) => Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value));
}

/** A counter or gauge's value for the labels; 0 when the series does not exist yet. */
function value(families: ParsedFamily[], name: string, labels: Record<string, string> = {}): number {
  return Number(series(families, name, labels)?.value ?? 0);
}

const HANDLERS = {
  ok: `exports.handler = async () => ({ ok: true });`,
  boom: `exports.handler = async () => { throw new Error('boom'); };`,
  slow: `exports.handler = () => new Promise((resolve) => setTimeout(resolve, 600000));`,
  hold: `${COORDINATION_CJS}
exports.handler = async (event) => {
  if (event.started) await arrive(event.started, 1);
  if (event.release) await waitForFile(event.release);
  return { held: true };
};`,
};

const specs: Record<string, FunctionSpec> = {};

before(async () => {
  storage = await createSqliteStorage({ dataDir: await harness.dir('laambda-metrics-data-') });
  appId = (await storage.apps.create({ name: 'shop', domain: null })).id;
  metrics = createMetrics({ store: storage.metrics, clock, logger: silentLogger, autoFlush: false });
  const tracked = await harness.engine();
  engine = metrics.instrument(tracked.engine, (spec) =>
    spec.name.startsWith('shop-')
      ? { app: 'shop', appId, function: spec.name.slice('shop-'.length), release: spec.version ?? '$LATEST' }
      : undefined,
  );
  for (const [name, source] of Object.entries(HANDLERS)) {
    const codeDir = await harness.app({ 'index.js': source });
    specs[name] = nodeFunction(`shop-${name}`, codeDir, {
      version: '1',
      ...(name === 'slow' ? { timeoutS: 1 } : {}),
      ...(name === 'hold' ? { concurrency: 1 } : {}),
    });
  }
});

after(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await metrics?.close();
  await storage?.close();
  await harness.cleanup();
});

describe('metrics', () => {
  let base: string;
  const fn = (name: string) => ({ app: 'shop', function: name, release: '1' });

  before(async () => {
    base = await serve(false);
  });

  it('shows counters, the duration histogram and in-flight executions moving on /metrics', async () => {
    const before = await scrape(base);
    assert.equal(value(before, 'laambda_invocations_total', fn('ok')), 0);

    // Minute T0: three answers (one cold start).
    for (let i = 0; i < 3; i += 1) ok(await engine.invoke(specs.ok!, { payload: '{}' }));
    // Minute T0+1: two function errors, one timeout, one run held while a second is throttled.
    now = T0 + MINUTE + 5_000;
    for (let i = 0; i < 2; i += 1) assert.equal((await engine.invoke(specs.boom!, { payload: '{}' })).error?.errorType, 'Error');
    const timedOut = await engine.invoke(specs.slow!, { payload: '{}' });
    assert.equal(timedOut.error?.errorType, 'Sandbox.Timedout');

    const started = await harness.dir('laambda-started-');
    const release = path.join(await harness.dir('laambda-release-'), 'go');
    const held = engine.invoke(specs.hold!, { payload: JSON.stringify({ started, release }) });
    await waitFor(async () => (await readdir(started)).length === 1, { message: 'the held invocation running' });
    await assert.rejects(engine.invoke(specs.hold!, { payload: '{}' }), (error: unknown) => {
      assert.ok(isLaambdaError(error));
      assert.equal(error.code, 'ERR_INVOKE_THROTTLED');
      return true;
    });
    const during = await scrape(base);
    assert.equal(value(during, 'laambda_concurrent_executions', fn('hold')), 1, 'the held invocation is in flight');
    await writeFile(release, '');
    ok(await held);

    const { text, families: after } = await scrapeText(base);
    const counts = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    assert.equal(counts('laambda_invocations_total', fn('ok')), 3);
    assert.equal(counts('laambda_cold_starts_total', fn('ok')), 1);
    assert.equal(counts('laambda_errors_total', fn('ok')), 0);
    assert.equal(counts('laambda_invocations_total', fn('boom')), 2);
    assert.equal(counts('laambda_errors_total', fn('boom')), 2);
    assert.equal(counts('laambda_invocations_total', fn('slow')), 1);
    assert.equal(counts('laambda_timeouts_total', fn('slow')), 1);
    assert.equal(counts('laambda_errors_total', fn('slow')), 1, 'a timeout is an error too, as on AWS');
    assert.equal(counts('laambda_throttles_total', fn('hold')), 1);
    assert.equal(counts('laambda_invocations_total', fn('hold')), 1, 'a throttled request is not an invocation');
    assert.equal(value(after, 'laambda_concurrent_executions', fn('hold')), 0);
    assert.ok(counts('laambda_billed_duration_seconds_total', fn('slow')) >= 1, 'the timeout billed its full second');
    assert.ok(value(after, 'laambda_max_memory_used_bytes', fn('ok')) > 1024 * 1024);

    const durations = histogram(text, 'laambda_invocation_duration_seconds', fn('ok'));
    assert.equal(Number(durations?.count), 3);
    assert.equal(Number(durations?.buckets?.['+Inf']), 3);
    assert.ok(Number(durations?.sum) > 0);
    assert.equal(Number(histogram(text, 'laambda_invocation_duration_seconds', fn('boom'))?.count), 2);
    const slow = histogram(text, 'laambda_invocation_duration_seconds', fn('slow'));
    assert.equal(Number(slow?.buckets?.['0.5']), 0, 'the timed-out run is counted above 0.5 s');
    assert.equal(Number(slow?.buckets?.['2.5']), 1);

    assert.ok(value(after, 'laambda_process_resident_memory_bytes') > 0, 'platform RSS');
    assert.ok(after.some((family) => family.name === 'laambda_nodejs_eventloop_lag_seconds'), 'event-loop lag');
  });

  it('reads queue, async and environment gauges from registered sources, skipping one that fails', async () => {
    metrics.registerQueueMapping(() => [{ app: 'shop', function: 'ok', queue: 'orders', lag: 12, ageOfOldestMessageS: 30 }]);
    metrics.registerQueueMapping(async () => {
      throw new Error('queue store unavailable');
    });
    metrics.registerAsync(async () => [{ app: 'shop', depth: 4, retrying: 1 }]);
    metrics.registerEnvironments(() => engine.pids().length);
    const families = await scrape(base);
    const queue = { app: 'shop', function: 'ok', queue: 'orders' };
    assert.equal(value(families, 'laambda_queue_lag_messages', queue), 12);
    assert.equal(value(families, 'laambda_queue_oldest_message_age_seconds', queue), 30);
    assert.equal(value(families, 'laambda_async_queue_depth', { app: 'shop' }), 4);
    assert.equal(value(families, 'laambda_async_retrying', { app: 'shop' }), 1);
    assert.equal(value(families, 'laambda_environments'), engine.pids().length);
    assert.ok(engine.pids().length >= 3, 'ok, boom and hold keep warm environments');
  });

  it('refuses /metrics without an admin token unless it is public', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong' }]) {
      const response = await fetch(`${base}/metrics`, { headers });
      assert.equal(response.status, 403);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.code, 'ERR_METRICS_FORBIDDEN');
      assert.equal(body.statusCode, 403);
      assert.equal(typeof body.requestId, 'string');
    }
    assert.equal((await fetch(`${base}/other`)).status, 404, 'other paths are left to the caller');

    const open = await serve(true);
    const response = await fetch(`${open}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^laambda_invocations_total\{app="shop",function="ok",release="1"\} 3$/m);
  });

  it('stores one-minute rollups and answers them per minute and over the window', async () => {
    await metrics.flushRollups();
    const stored = await storage.metrics.listRollups({ appId, since: T0, until: T0 + 2 * MINUTE });
    assert.deepEqual(
      stored.map((row) => [row.minute, row.function, row.release, row.invocations, row.errors]),
      [
        [T0, 'ok', '1', 3, 0],
        [T0 + MINUTE, 'boom', '1', 2, 2],
        [T0 + MINUTE, 'hold', '1', 1, 0],
        [T0 + MINUTE, 'slow', '1', 1, 1],
      ],
    );

    now = T0 + 2 * MINUTE;
    const result = await metrics.query({ appId, since: T0 - 10 * MINUTE });
    assert.deepEqual(
      result.points.map((point) => [point.minute, point.invocations, point.errors, point.timeouts, point.throttles]),
      [
        [T0, 3, 0, 0, 0],
        [T0 + MINUTE, 4, 3, 1, 1],
      ],
    );
    const { summary } = result;
    assert.deepEqual(
      [summary.invocations, summary.errors, summary.timeouts, summary.throttles, summary.coldStarts],
      [7, 3, 1, 1, 4],
    );
    // The 1 s timeout is the slowest of 7: p99 lands in its bucket, (861, 1024] ms.
    assert.ok(summary.p99Ms! > 861 && summary.p99Ms! <= summary.maxMs!, `p99 ${summary.p99Ms}`);
    assert.ok(summary.maxMs! >= 1000);
    assert.ok(summary.p50Ms! < 1000);
    assert.equal(summary.maxConcurrency, 1);
    assert.deepEqual(
      result.groups.map((group) => [group.function, group.summary.invocations]),
      [
        ['boom', 2],
        ['hold', 1],
        ['ok', 3],
        ['slow', 1],
      ],
    );

    // A minute not yet written shows up at once, merged with the stored ones.
    ok(await engine.invoke(specs.ok!, { payload: '{}' }));
    const okOnly = await metrics.query({ appId, function: 'ok', since: T0, by: 'release' });
    assert.deepEqual(
      okOnly.groups.map((group) => [group.function, group.release, group.summary.invocations]),
      [['ok', '1', 4]],
    );
    assert.deepEqual(
      okOnly.points.map((point) => [point.minute, point.invocations]),
      [
        [T0, 3],
        [T0 + 2 * MINUTE, 1],
      ],
    );

    await assert.rejects(metrics.query({ appId, since: now + MINUTE }), { code: 'ERR_METRICS_QUERY_INVALID' });

    // Past the default 7 days of retention, the next write deletes the old minutes.
    now = T0 + 7 * 24 * 60 * MINUTE + 3 * MINUTE;
    await metrics.flushRollups();
    assert.deepEqual(await storage.metrics.listRollups({ appId, since: 0, until: now }), []);
  });
});
