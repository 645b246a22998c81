// Lambda's limits, enforced on real processes: timeouts kill the whole process tree, memory is
// measured and enforced (cgroup and watchdog), payload and environment sizes are checked, and a
// function flooding its output cannot hurt the platform.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { isLaambdaError } from '../../src/core/errors.ts';
import type { InvokeResult } from '../../src/runtime/index.ts';
import { EngineHarness, isAlive, json, nodeFunction, ok, type TrackedEngine, waitFor } from '../support/engine.ts';

const MB = 1024 * 1024;
const harness = new EngineHarness();
let tracked: TrackedEngine;
let watchdog: TrackedEngine;

before(async () => {
  [tracked, watchdog] = await Promise.all([harness.engine(), harness.engine({ memoryEnforcement: 'watchdog' })]);
});

after(() => harness.cleanup());

/** A rejection carrying this LaambdaError code. */
function laambdaError(code: string) {
  return (error: unknown): boolean => {
    assert.ok(isLaambdaError(error), `expected a LaambdaError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

/** Invokes `spec` back to back until `until` settles; returns how many answered meanwhile. */
async function answersWhile(until: Promise<unknown>, invoke: () => Promise<InvokeResult>): Promise<number> {
  let settled = false;
  void until.finally(() => {
    settled = true;
  });
  let answered = 0;
  while (!settled) {
    const res = await invoke();
    ok(res);
    if (!settled) answered++;
  }
  return answered;
}

const LEAKER = `exports.handler = async (event) => {
  if (event.quick) return { pid: process.pid };
  const hog = [];
  for (;;) {
    hog.push(Buffer.alloc(8 * 1024 * 1024, 1));
    await new Promise((resolve) => setImmediate(resolve));
  }
};`;

async function expectOutOfMemory(engine: TrackedEngine, name: string): Promise<void> {
  const codeDir = await harness.app({ 'index.js': LEAKER });
  const spec = nodeFunction(name, codeDir, { memoryMB: 128, timeoutS: 30 });
  const res = await engine.engine.invoke(spec, { payload: '{}' });
  assert.equal(res.error?.errorType, 'Runtime.OutOfMemory', res.payload.toString('utf8'));
  assert.equal(res.error.errorMessage, `RequestId: ${res.requestId} Error: Runtime exited with error: signal: killed`);
  assert.equal(res.memorySizeMB, 128);
  assert.ok(res.maxMemoryUsedMB >= 115, `Max Memory Used ${res.maxMemoryUsedMB} MB reached the limit`);
  const report = engine.linesOf(res.requestId).find((record) => record.line.startsWith('REPORT'));
  assert.match(report?.line ?? '', /\tStatus: error\tError Type: Runtime\.OutOfMemory$/);
  const next = await engine.engine.invoke(spec, { payload: '{"quick":true}' });
  ok(next);
  assert.equal(next.coldStart, true);
}

describe('limits', { concurrency: true }, () => {
  it('times out with "Task timed out after 1.00 seconds", kills the process tree and starts fresh', async () => {
    const codeDir = await harness.app({
      'index.js': `const { spawn } = require('node:child_process');
exports.handler = async (event) => {
  if (event.quick) return { pid: process.pid };
  const sleeper = spawn('sleep', ['300'], { stdio: 'inherit' });
  console.log('grandchild ' + sleeper.pid + ' of ' + process.pid);
  await new Promise((resolve) => setTimeout(resolve, 600000));
};`,
    });
    const spec = nodeFunction('sleepy', codeDir, { timeoutS: 1 });
    const res = await tracked.engine.invoke(spec, { payload: '{}' });
    assert.equal(res.error?.errorType, 'Sandbox.Timedout');
    assert.equal(res.error.errorMessage, `RequestId: ${res.requestId} Error: Task timed out after 1.00 seconds`);
    assert.ok(res.durationMs >= 1000, `timed out after ${res.durationMs} ms`);

    const lines = tracked.linesOf(res.requestId);
    const announced = lines.map((record) => /grandchild (\d+) of (\d+)/.exec(record.line)).find(Boolean);
    assert.ok(announced, 'the handler announced its grandchild');
    const [grandchild, child] = [Number(announced[1]), Number(announced[2])];
    await waitFor(() => !isAlive(grandchild) && !isAlive(child), { timeoutMs: 2000, message: `pids ${grandchild}, ${child} gone` });
    assert.match(lines.at(-1)!.line, /\tStatus: timeout\tError Type: Sandbox\.Timedout$/);

    const next = await tracked.engine.invoke(spec, { payload: '{"quick":true}' });
    ok(next);
    assert.equal(next.coldStart, true);
    assert.notEqual(json(next).pid, child);
  });

  it('kills an infinite loop at the timeout while another function keeps answering', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event) => { if (event.spin) { for (;;) {} } return 'ok'; };`,
    });
    const spinner = nodeFunction('spinner', codeDir, { timeoutS: 1 });
    const bystander = nodeFunction('bystander', codeDir);
    ok(await tracked.engine.invoke(bystander, { payload: '{}' }));
    const spinning = tracked.engine.invoke(spinner, { payload: '{"spin":true}' });
    const answered = await answersWhile(spinning, () => tracked.engine.invoke(bystander, { payload: '{}' }));
    const res = await spinning;
    assert.equal(res.error?.errorType, 'Sandbox.Timedout');
    assert.match(res.error.errorMessage, /Task timed out after 1\.00 seconds$/);
    assert.ok(answered >= 3, `the bystander answered ${answered} times during the loop`);
  });

  it('reports Runtime.OutOfMemory for a leaking handler at 128 MB under a memory cgroup', async (t) => {
    let engine: TrackedEngine;
    try {
      engine = await harness.engine({ memoryEnforcement: 'cgroup' });
    } catch (error) {
      return t.skip(`SKIPPED: memory cgroups are not writable on this host (${String(error)}); only the watchdog is tested`);
    }
    if (engine.engine.memoryMode !== 'cgroup') {
      return t.skip(`SKIPPED: the engine runs in ${engine.engine.memoryMode} mode, not cgroup`);
    }
    await expectOutOfMemory(engine, 'leak-cgroup');
  });

  it('reports Runtime.OutOfMemory for a leaking handler at 128 MB under the watchdog', async () => {
    assert.equal(watchdog.engine.memoryMode, 'watchdog');
    await expectOutOfMemory(watchdog, 'leak-watchdog');
  });

  for (const mode of ['default', 'watchdog'] as const) {
    it(`measures Max Memory Used (${mode} enforcement): small for a no-op, growing with 60 MB kept`, async () => {
      const engine = mode === 'watchdog' ? watchdog : tracked;
      const codeDir = await harness.app({
        'index.js': `let kept;\nexports.handler = async (event) => { if (event.allocate) kept = Buffer.alloc(event.allocate * 1024 * 1024, 1); return 'ok'; };`,
      });
      const spec = nodeFunction(`measure-${mode}`, codeDir, { memoryMB: 256 });
      const noop = await engine.engine.invoke(spec, { payload: '{}' });
      ok(noop);
      assert.ok(noop.maxMemoryUsedMB > 10 && noop.maxMemoryUsedMB < 128, `no-op used ${noop.maxMemoryUsedMB} MB`);
      const big = await engine.engine.invoke(spec, { payload: '{"allocate":60}' });
      ok(big);
      assert.ok(
        big.maxMemoryUsedMB >= noop.maxMemoryUsedMB + 50,
        `after keeping 60 MB: ${noop.maxMemoryUsedMB} MB → ${big.maxMemoryUsedMB} MB`,
      );
      assert.ok(big.maxMemoryUsedMB < 256);
    });
  }

  it('refuses a 6 MB request payload and accepts one just under it', async () => {
    const codeDir = await harness.app({ 'index.js': `exports.handler = async (event) => ({ length: event.length });` });
    const spec = nodeFunction('big-request', codeDir);
    await assert.rejects(
      tracked.engine.invoke(spec, { payload: Buffer.alloc(6 * MB, 'a') }),
      laambdaError('ERR_INVOKE_PAYLOAD_TOO_LARGE'),
    );
    const justUnder = `"${'a'.repeat(6 * MB - 3)}"`;
    const res = await tracked.engine.invoke(spec, { payload: justUnder });
    ok(res);
    assert.deepEqual(json(res), { length: 6 * MB - 3 });
  });

  it('reports Function.ResponseSizeTooLarge for a 7 MB response', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event) => 'x'.repeat(event.mb * 1024 * 1024);`,
    });
    const spec = nodeFunction('big-response', codeDir);
    const res = await tracked.engine.invoke(spec, { payload: '{"mb":7}' });
    assert.equal(res.error?.errorType, 'Function.ResponseSizeTooLarge');
    assert.match(res.error.errorMessage, /exceeded maximum allowed payload size/);
    const fine = await tracked.engine.invoke(spec, { payload: '{"mb":5}' });
    ok(fine);
    assert.equal(fine.payload.length, 5 * MB + 2);
  });

  it('refuses a function environment over 4 KB and accepts exactly 4 KB', async () => {
    const codeDir = await harness.app({ 'index.js': `exports.handler = async () => process.env.BIG.length;` });
    await assert.rejects(
      tracked.engine.invoke(nodeFunction('env-big', codeDir, { environment: { BIG: 'x'.repeat(4094) } }), {
        payload: '{}',
      }),
      laambdaError('ERR_FUNCTION_ENV_TOO_LARGE'),
    );
    const res = await tracked.engine.invoke(nodeFunction('env-4k', codeDir, { environment: { BIG: 'x'.repeat(4093) } }), {
      payload: '{}',
    });
    ok(res);
    assert.deepEqual(json(res), 4093);
  });
});

// Alone, after the others: it saturates a core and the pipe on purpose.
describe('output flood', () => {
  it('survives a function writing 1 GB to stdout: bounded memory, other functions answer', async (t) => {
    let records = 0;
    let longest = 0;
    const flood = await harness.engine({
      onLog: (record) => {
        if (record.stream === 'stdout') records++;
        longest = Math.max(longest, Buffer.byteLength(record.line));
      },
    });
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event) => {
  if (event.quick) return 'ok';
  const chunk = 'y'.repeat(1024 * 1024);
  const line = 'z'.repeat(1024 * 1024 - 1) + '\\n';
  for (let i = 0; i < 512; i++) process.stdout.write(chunk);
  process.stdout.write('\\n');
  for (let i = 0; i < 512; i++) process.stdout.write(line);
  return { wrote: '1 GB' };
};`,
    });
    const quick = nodeFunction('flood-bystander', codeDir);
    ok(await flood.engine.invoke(quick, { payload: '{"quick":true}' }));

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    try {
      const flooding = flood.engine.invoke(nodeFunction('flooder', codeDir, { timeoutS: 60 }), { payload: '{}' });
      const answered = await answersWhile(flooding, () => flood.engine.invoke(quick, { payload: '{"quick":true}' }));
      const res = await flooding;
      assert.ok(
        res.error === undefined || res.error.errorType === 'Sandbox.Timedout',
        `the flood completes or times out cleanly: ${res.payload.toString('utf8').slice(0, 200)}`,
      );
      assert.ok(answered >= 1, 'another function answered during the flood');
      t.diagnostic(`1 GB in ${res.durationMs.toFixed(0)} ms; ${answered} other invocations answered meanwhile`);
    } finally {
      clearInterval(sampler);
    }
    const growthMB = (peak - baseline) / MB;
    t.diagnostic(`platform rss grew by ${growthMB.toFixed(0)} MB`);
    assert.ok(growthMB < 200, `the platform's memory grew by ${growthMB.toFixed(0)} MB`);
    // 1 cut line without newlines + 512 cut lines, all read before the invocation ended.
    assert.equal(records, 513);
    assert.ok(longest <= 256 * 1024 + 64, `the longest record is ${longest} bytes`);
  });
});
