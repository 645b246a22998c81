// `npm run bench` — every benchmark: the runtime engine's (bench/results/runtime.json) and the
// HTTP gateway's against serverless-offline (gateway.json), hot reload's save-to-live time
// (reload.json), `laambda deploy` to new code serving on `laambda server` (deploy.json);
// `npm run bench -- gateway` runs only
// the named ones. Each writes a summary table on stdout; `--quick` is a smoke run with small
// counts that writes NAME.quick.json instead, so it never overwrites real numbers.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runDeployBench } from './deploy.ts';
import { elbChecks, runElbBench } from './elb.ts';
import { writeFixtures } from './fixtures/index.ts';
import { runGatewayBench } from './gateway.ts';
import { runReloadBench } from './reload.ts';
import { formatTable, runtimeChecks } from './report.ts';
import { logsChecks, runLogsBench } from './logs.ts';
import { queueChecks, runQueueBench } from './queue.ts';
import { FULL_PLAN, QUICK_PLAN, runRuntimeBench } from './runtime.ts';

const BENCHES = ['runtime', 'gateway', 'reload', 'deploy', 'elb', 'queue', 'logs'];
const quick = process.argv.includes('--quick');
const selected = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = selected.filter((name) => !BENCHES.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`✘ unknown benchmark ${unknown.join(', ')}: pick from ${BENCHES.join(', ')}\n`);
  process.exit(2);
}
const plan = quick ? QUICK_PLAN : FULL_PLAN;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

function pythonVersion(): string | null {
  try {
    return execFileSync('python3', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return null;
  }
}

/** Share of all cores busy over a short window: other work on a shared VM skews every timing. */
async function cpuBusy(ms = 500): Promise<number> {
  const sample = (): number[] => {
    const fields = readFileSync('/proc/stat', 'latin1').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return [fields.reduce((sum, value) => sum + value, 0), idle];
  };
  const [total0 = 0, idle0 = 0] = sample();
  await sleep(ms);
  const [total1 = 0, idle1 = 0] = sample();
  return Math.round((1 - (idle1 - idle0) / Math.max(1, total1 - total0)) * 100) / 100;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryMB: Math.round(os.totalmem() / 1024 / 1024),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    python: pythonVersion(),
    // A shared 2-core VM is noisy: the load around the run says how far to trust it.
    loadAverageBefore: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

async function runtimeBench(): Promise<void> {
  const machineInfo = { ...machine(), cpuBusyBefore: await cpuBusy() };
  const root = mkdtempSync(path.join(os.tmpdir(), 'laambda-bench-'));
  // Also on the deadline's process.exit(), which skips the finally below.
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  const started = performance.now();
  try {
    const fixtures = writeFixtures(path.join(root, 'fixtures'));
    const dataDir = path.join(root, 'data');
    mkdirSync(dataDir);
    const result = await runRuntimeBench({ dataDir, fixtures, plan, progress });
    const checks = runtimeChecks(result);
    const report = {
      benchmark: 'runtime',
      mode: quick ? 'quick' : 'full',
      date: new Date().toISOString(),
      durationS: Math.round((performance.now() - started) / 100) / 10,
      machine: {
        ...machineInfo,
        loadAverageAfter: os.loadavg().map((load) => Math.round(load * 100) / 100),
        memoryEnforcement: result.memoryMode,
      },
      plan,
      checks,
      results: result,
    };
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, quick ? 'runtime.quick.json' : 'runtime.json');
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

    const m = report.machine;
    console.log(`\nlaambda runtime bench (${report.mode}) — ${m.cpus} × ${m.cpuModel}, node ${m.node}, ${m.python ?? 'no python'}`);
    console.log(
      `memory enforcement: ${m.memoryEnforcement}; load average ${m.loadAverageBefore[0]} before, ` +
        `${m.loadAverageAfter[0]} after; took ${report.durationS} s\n`,
    );
    if (m.cpuBusyBefore > 0.15) {
      const busy = Math.round(m.cpuBusyBefore * 100);
      console.log(`⚠ other work kept ${busy}% of the CPUs busy just before the run: timings are pessimistic\n`);
    }
    console.log(formatTable(checks));
    const failed = checks.filter((c) => c.pass === false).length;
    const skipped = checks.filter((c) => c.target !== null && c.pass === null).length;
    console.log(`\n${failed} target(s) missed, ${skipped} skipped; written to ${path.relative(process.cwd(), file)}`);
    const skips = checks.filter((c) => c.target !== null && c.pass === null);
    for (const c of skips) console.log(`  skipped ${c.metric}: ${c.note ?? ''}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const progress = (step: string): void => {
  process.stderr.write(`… ${step}\n`);
};
if (selected.length === 0 || selected.includes('runtime')) await runtimeBench();
if (selected.length === 0 || selected.includes('gateway')) {
  const machineNow = async () => ({ ...machine(), cpuBusyBefore: await cpuBusy() });
  await runGatewayBench({ quick, resultsDir, machine: machineNow, progress });
}
if (selected.length === 0 || selected.includes('reload')) {
  const machineInfo = { ...machine(), cpuBusyBefore: await cpuBusy() };
  progress('hot reload: saving handlers and timing the first response from the new code');
  const result = await runReloadBench(quick ? 3 : 20);
  const checks = Object.entries(result.kinds).map(([kind, summary]) => ({
    metric: `save → new code live, ${kind} (p90)`,
    value: summary.p90,
    unit: 'ms',
    target: '<= 300 ms',
    pass: summary.p90 <= 300,
    note: `p50 ${summary.p50} ms, max ${summary.max} ms, ${summary.samples} saves`,
  }));
  const report = { benchmark: 'reload', mode: quick ? 'quick' : 'full', date: new Date().toISOString(), machine: machineInfo, result, checks };
  const file = path.join(resultsDir, quick ? 'reload.quick.json' : 'reload.json');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatTable(checks));
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}
if (selected.length === 0 || selected.includes('deploy')) {
  const machineInfo = { ...machine(), cpuBusyBefore: await cpuBusy() };
  const result = await runDeployBench({ redeploys: quick ? 2 : 10, progress });
  const checks = result.apps.flatMap((app) => [
    {
      metric: `${app.app} (${app.dependencies} deps): first deploy → serving`,
      value: app.firstDeployMs,
      unit: 'ms',
      target: null,
      pass: null,
      note: `dependencies: ${app.firstDependencies}`,
    },
    {
      metric: `${app.app}: redeploy → new code serving (max)`,
      value: app.redeploy.max,
      unit: 'ms',
      target: '<= 1500 ms',
      pass: app.redeploy.max <= 1500,
      note: `p50 ${app.redeploy.p50} ms over ${app.redeploy.samples} redeploys`,
    },
    ...(app.dependencies === 0
      ? []
      : [
          {
            metric: `${app.app}: redeploys with an unchanged lockfile run npm`,
            value: app.redeployDependencies.includes('installed') ? 1 : 0,
            unit: 'yes/no',
            target: 'no (cache hit)',
            pass: app.redeployDependencies.every((kind) => kind === 'cache hit'),
            note: `dependencies on redeploy: ${app.redeployDependencies.join(', ')}`,
          },
        ]),
  ]);
  const report = { benchmark: 'deploy', mode: quick ? 'quick' : 'full', date: new Date().toISOString(), machine: machineInfo, result, checks };
  const file = path.join(resultsDir, quick ? 'deploy.quick.json' : 'deploy.json');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatTable(checks));
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}
/** Writes NAME.json (NAME.quick.json for --quick) and prints the checks. */
function writeReport(name: string, report: { checks: Parameters<typeof formatTable>[0] } & Record<string, unknown>): void {
  const file = path.join(resultsDir, quick ? `${name}.quick.json` : `${name}.json`);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(formatTable(report.checks));
  console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
}
if (selected.length === 0 || selected.includes('elb')) {
  const machineInfo = { ...machine(), cpuBusyBefore: await cpuBusy() };
  const result = await runElbBench({ repeats: quick ? 1 : 5, ...(quick ? { lines: 5000 } : {}), progress });
  writeReport('elb', { benchmark: 'elb', mode: quick ? 'quick' : 'full', date: new Date().toISOString(), machine: machineInfo, result, checks: elbChecks(result) });
}
if (selected.length === 0 || selected.includes('queue')) {
  const machineInfo = { ...machine(), cpuBusyBefore: await cpuBusy() };
  const result = await runQueueBench({ rounds: quick ? 1 : 3, messages: quick ? 2000 : 20_000, progress });
  writeReport('queue', { benchmark: 'queue', mode: quick ? 'quick' : 'full', date: new Date().toISOString(), machine: machineInfo, result, checks: queueChecks(result) });
}
if (selected.length === 0 || selected.includes('logs')) {
  const machineInfo = { ...machine(), cpuBusyBefore: await cpuBusy() };
  const logsPlan = quick
    ? { lines: 100_000, invocations: 5, warmup: 2, items: 10_000, rounds: 12 }
    : { lines: 1_000_000, invocations: 30, warmup: 5, items: 10_000, rounds: 12 };
  const result = await runLogsBench({ ...logsPlan, progress });
  writeReport('logs', { benchmark: 'logs', mode: quick ? 'quick' : 'full', date: new Date().toISOString(), machine: machineInfo, plan: logsPlan, result, checks: logsChecks(result) });
}
