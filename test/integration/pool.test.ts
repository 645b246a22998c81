// Environment pools on real processes: warm reuse, the concurrency limit, scale-out without
// over-provisioning, idle reaping, the warm minimum, retiring code in flight, shutdown.
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { isLaambdaError } from '../../src/core/errors.ts';
import type { PoolStats } from '../../src/runtime/index.ts';
import {
  COORDINATION_CJS,
  EngineHarness,
  isAlive,
  json,
  nodeFunction,
  ok,
  type TrackedEngine,
  waitFor,
  writeFiles,
} from '../support/engine.ts';

const harness = new EngineHarness();
let tracked: TrackedEngine;

before(async () => {
  tracked = await harness.engine();
});

after(() => harness.cleanup());

function statsOf(engine: TrackedEngine, name: string): PoolStats | undefined {
  return engine.engine.stats().find((stats) => stats.functionName === name);
}

/**
 * A handler that marks itself started in `event.started`, waits for `event.parties` invocations
 * to be running when asked, and holds until `event.release` exists when given.
 */
const HOLDING_HANDLER = `${COORDINATION_CJS}
exports.handler = async (event) => {
  if (event.started) await arrive(event.started, event.parties ?? 1);
  if (event.release) await waitForFile(event.release);
  return { pid: process.pid, version: typeof VERSION === 'undefined' ? 'v1' : VERSION, init: process.env.AWS_LAMBDA_INITIALIZATION_TYPE };
};`;

async function countIn(dir: string): Promise<number> {
  return (await readdir(dir)).length;
}

describe('environment pools', { concurrency: true }, () => {
  it('reuses a warm environment: the second invocation is no cold start and runs in the same process', async () => {
    const codeDir = await harness.app({ 'index.js': HOLDING_HANDLER });
    const spec = nodeFunction('warm', codeDir);
    const first = await tracked.engine.invoke(spec, { payload: '{}' });
    const pidsAfterFirst = tracked.engine.pids();
    const second = await tracked.engine.invoke(spec, { payload: '{}' });
    ok(first);
    ok(second);
    assert.deepEqual([first.coldStart, second.coldStart], [true, false]);
    assert.equal(json(second).pid, json(first).pid);
    assert.ok(pidsAfterFirst.includes(json(first).pid), 'engine.pids() lists the environment');
    assert.equal(statsOf(tracked, 'warm')?.environments, 1);
  });

  it('throttles with ERR_INVOKE_THROTTLED when concurrency=2 and 3 slow invocations run at once', async () => {
    const codeDir = await harness.app({ 'index.js': HOLDING_HANDLER });
    const started = await harness.dir('laambda-started-');
    const release = path.join(await harness.dir('laambda-release-'), 'go');
    const spec = nodeFunction('throttled', codeDir, { concurrency: 2 });
    const payload = JSON.stringify({ started, release });
    const running = [tracked.engine.invoke(spec, { payload }), tracked.engine.invoke(spec, { payload })];
    await waitFor(async () => (await countIn(started)) === 2, { message: 'both invocations running' });
    assert.equal(statsOf(tracked, 'throttled')?.busy, 2);

    await assert.rejects(tracked.engine.invoke(spec, { payload }), (error: unknown) => {
      assert.ok(isLaambdaError(error));
      assert.equal(error.code, 'ERR_INVOKE_THROTTLED');
      assert.equal(error.status, 429);
      return true;
    });
    assert.equal(statsOf(tracked, 'throttled')?.environments, 2, 'a throttled invocation starts nothing');

    await writeFile(release, '');
    for (const res of await Promise.all(running)) ok(res);
    const after = await tracked.engine.invoke(spec, { payload: '{}' });
    ok(after);
    assert.equal(after.coldStart, false, 'once one is free, the next invocation runs warm');
  });

  it('starts at most 5 environments for 5 concurrent invocations on a cold function with concurrency 10', async () => {
    const codeDir = await harness.app({ 'index.js': HOLDING_HANDLER });
    const started = await harness.dir('laambda-started-');
    const spec = nodeFunction('scale-out', codeDir, { concurrency: 10 });
    const payload = JSON.stringify({ started, parties: 5 });
    let most = 0;
    const overStarted: PoolStats[] = [];
    const watch = (): void => {
      const stats = statsOf(tracked, 'scale-out');
      if (stats === undefined) return;
      most = Math.max(most, stats.environments);
      if (stats.starting > stats.waiting) overStarted.push(stats);
    };
    const sampler = setInterval(watch, 2);
    try {
      const pending = Array.from({ length: 5 }, () => tracked.engine.invoke(spec, { payload }));
      watch();
      assert.ok(most <= 5, `${most} environments right after submitting 5 invocations`);
      const results = await Promise.all(pending);
      for (const res of results) ok(res);
      assert.equal(new Set(results.map((res) => json(res).pid)).size, 5, 'all 5 ran at once (they waited for each other)');
    } finally {
      clearInterval(sampler);
    }
    watch();
    assert.equal(most, 5, `never more than 5 environments (saw ${most})`);
    assert.deepEqual(overStarted, [], 'never more environments starting than invocations waiting');
    assert.equal(statsOf(tracked, 'scale-out')?.environments, 5);
  });

  it('stops idle environments after idleTimeoutMs (scale to zero)', async () => {
    const reaping = await harness.engine({ idleTimeoutMs: 100 });
    const codeDir = await harness.app({ 'index.js': HOLDING_HANDLER });
    const res = await reaping.engine.invoke(nodeFunction('reaped', codeDir), { payload: '{}' });
    ok(res);
    const { pid } = json(res);
    await waitFor(() => statsOf(reaping, 'reaped')?.environments === 0, { timeoutMs: 5000, message: 'idle reaping' });
    await waitFor(() => !isAlive(pid), { timeoutMs: 2000, message: `pid ${pid} gone` });
    assert.deepEqual(reaping.engine.pids(), []);
    const again = await reaping.engine.invoke(nodeFunction('reaped', codeDir), { payload: '{}' });
    ok(again);
    assert.equal(again.coldStart, true);
  });

  it('keeps minWarm environments started before any invoke, as provisioned concurrency', async () => {
    const warmEngine = await harness.engine({ idleTimeoutMs: 100 });
    const codeDir = await harness.app({ 'index.js': HOLDING_HANDLER });
    const spec = nodeFunction('provisioned', codeDir, { minWarm: 2, concurrency: 3 });
    warmEngine.engine.prepare(spec);
    await waitFor(() => statsOf(warmEngine, 'provisioned')?.idle === 2, { message: '2 warm environments' });
    const prepared = warmEngine.engine.pids();
    assert.equal(prepared.length, 2);

    const res = await warmEngine.engine.invoke(spec, { payload: '{}' });
    ok(res);
    assert.equal(json(res).init, 'provisioned-concurrency');
    assert.ok(prepared.includes(json(res).pid));
    assert.equal(res.coldStart, false, 'the invocation did not wait for an init');
    assert.equal(res.initDurationMs, undefined);

    // A third, on-demand environment for a burst is reaped when idle; the warm two stay.
    const started = await harness.dir('laambda-started-');
    const burst = await Promise.all(
      Array.from({ length: 3 }, () => warmEngine.engine.invoke(spec, { payload: JSON.stringify({ started, parties: 3 }) })),
    );
    for (const one of burst) ok(one);
    assert.deepEqual(burst.map((one) => json(one).init).sort(), ['on-demand', 'provisioned-concurrency', 'provisioned-concurrency']);
    const beforeReaping = warmEngine.engine.pids();
    await waitFor(() => statsOf(warmEngine, 'provisioned')?.environments === 2, {
      timeoutMs: 5000,
      message: 'the burst environment reaped',
    });
    assert.equal(statsOf(warmEngine, 'provisioned')?.idle, 2, 'the two left are warm, not restarting');
    const kept = warmEngine.engine.pids();
    assert.ok(kept.every((pid) => beforeReaping.includes(pid)), 'reaping started no environment');
  });

  it('lets an in-flight invocation finish on the old code after retire() while a new one runs the new code', async () => {
    const codeDir = await harness.app({ 'index.js': HOLDING_HANDLER });
    const started = await harness.dir('laambda-started-');
    const release = path.join(await harness.dir('laambda-release-'), 'go');
    const spec = nodeFunction('retiring', codeDir);
    const old = tracked.engine.invoke(spec, { payload: JSON.stringify({ started, release }) });
    await waitFor(async () => (await countIn(started)) === 1, { message: 'the old invocation running' });

    await writeFiles(codeDir, { 'index.js': `const VERSION = 'v2';\n${HOLDING_HANDLER}` });
    const retired = tracked.engine.retire('retiring');
    const fresh = await tracked.engine.invoke(spec, { payload: '{}' });
    ok(fresh);
    assert.equal(json(fresh).version, 'v2');
    assert.equal(fresh.coldStart, true);

    await writeFile(release, '');
    const finished = await old;
    ok(finished);
    assert.equal(json(finished).version, 'v1');
    await retired;
    assert.equal(isAlive(json(finished).pid), false, 'the retired environment stopped after its invocation');
    assert.equal(isAlive(json(fresh).pid), true);
  });

  it('kills busy and idle environments on close and refuses invocations afterwards', async () => {
    const closing = await harness.engine();
    const codeDir = await harness.app({ 'index.js': HOLDING_HANDLER });
    const started = await harness.dir('laambda-started-');
    const idle = await closing.engine.invoke(nodeFunction('close-idle', codeDir), { payload: '{}' });
    ok(idle);
    const busy = closing.engine.invoke(nodeFunction('close-busy', codeDir), {
      payload: JSON.stringify({ started, release: path.join(started, 'never') }),
    });
    await waitFor(async () => (await countIn(started)) === 1, { message: 'the busy invocation running' });
    const pids = closing.engine.pids();
    assert.equal(pids.length, 2);

    await closing.engine.close();
    assert.deepEqual(pids.filter(isAlive), []);
    const outcome = await busy.then(
      (res) => res.error?.errorType,
      (error: unknown) => (isLaambdaError(error) ? error.code : String(error)),
    );
    assert.ok(['Runtime.ExitError', 'ERR_ENGINE_CLOSED'].includes(outcome ?? ''), `the in-flight invocation ended: ${outcome}`);
    await assert.rejects(closing.engine.invoke(nodeFunction('close-idle', codeDir), { payload: '{}' }), (error: unknown) => {
      assert.ok(isLaambdaError(error));
      assert.equal(error.code, 'ERR_ENGINE_CLOSED');
      return true;
    });
  });
});
