// `npm run bench -- gateway`: the same hello handler behind laambda dev and behind
// serverless-offline (with serverless 3, installed on demand under bench/peers/), one after the
// other, driven by wrk: 16 connections for throughput, 1 connection for latency. Writes
// bench/results/gateway.json (gateway.quick.json with --quick) and a summary table.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processesUnder, withCpuUse } from './cpu.ts';
import {
  type GatewayPlan,
  type GatewayReport,
  gatewayChecks,
  interference,
  type LoadRun,
  otherWorkShare,
  printGatewaySummary,
  rpsRatio,
  SKEWED_SHARE,
  type TargetOutcome,
  type TargetResult,
} from './gateway-report.ts';
import {
  type BenchProcess,
  ensureAptTool,
  ensureNpmPeer,
  freePorts,
  startProcess,
  systemNodes,
  waitFor,
} from './peers.ts';
import { runWrk, wrkVersion } from './wrk.ts';

export const SERVERLESS_VERSION = '3.40.0';
export const SERVERLESS_OFFLINE_VERSION = '13.10.1';
const EXPECTED_BODY = '{"message":"hello"}';
const WHY_WRK =
  'native (C, epoll): on 2 cores it takes far less CPU from the server under test than a Node load ' +
  'generator would, and its histogram records microseconds, fine enough for a 0.5 ms p50 at 1 connection';

export const FULL_GATEWAY_PLAN: GatewayPlan = {
  warmupSeconds: 2,
  throughputSeconds: 10,
  latencySeconds: 10,
  throughputConnections: 16,
  latencyConnections: 1,
  readyTimeoutMs: 60_000,
};

export const QUICK_GATEWAY_PLAN: GatewayPlan = {
  ...FULL_GATEWAY_PLAN,
  warmupSeconds: 1,
  throughputSeconds: 2,
  latencySeconds: 2,
};

export interface GatewayBenchOptions {
  quick: boolean;
  resultsDir: string;
  /** Machine info, taken just before the measurements start. */
  machine(): Promise<Record<string, unknown>>;
  progress(step: string): void;
}

/** What every step of one run needs. */
interface Run {
  plan: GatewayPlan;
  /** The run's temp dir: apps, logs, a throwaway HOME. Whatever runs from it belongs to the run. */
  work: string;
  wrk: string;
  progress(step: string): void;
}

/** A platform serving the hello route, not measured yet. */
interface Started {
  proc: BenchProcess;
  url: string;
  node: string;
  command: string;
  startupMs: number;
  firstResponse: TargetResult['firstResponse'];
}

const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../', import.meta.url));

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The last lines a server printed, for an error message. */
function tail(proc: BenchProcess): string {
  return proc.output().trim().split('\n').slice(-6).join(' | ');
}

/** GETs `url` once; null while nothing answers. */
async function get(url: string): Promise<TargetResult['firstResponse'] | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
  } catch {
    return null;
  }
}

/** Polls until `url` answers 200; fails early when the process exits first. */
async function waitForOk(url: string, proc: BenchProcess, run: Run): Promise<TargetResult['firstResponse']> {
  return waitFor({ what: `200 from ${url}`, proc, timeoutMs: run.plan.readyTimeoutMs }, async () => {
    const response = await get(url);
    return response?.status === 200 ? response : null;
  });
}

/** Offline and with a throwaway HOME: neither platform may phone home or touch the user's files. */
function benchEnv(run: Run): NodeJS.ProcessEnv {
  const home = path.join(run.work, 'home');
  mkdirSync(home, { recursive: true });
  return {
    ...process.env,
    HOME: home,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCHLOCAL',
    AWS_SECRET_ACCESS_KEY: 'bench-local-secret',
    AWS_REGION: 'us-east-1',
  };
}

type Listening = Pick<Started, 'url' | 'node' | 'command'>;

/**
 * Waits until `proc` listens (`listening` resolves its URL), then for a 200 with the hello body.
 * A server that fails to get there is stopped, and the error carries the end of its log.
 */
async function serving(proc: BenchProcess, run: Run, listening: () => Promise<Listening>): Promise<Started> {
  const started = performance.now();
  try {
    const info = await listening();
    const firstResponse = await waitForOk(info.url, proc, run);
    // Different bodies would make the two platforms' numbers incomparable.
    if (firstResponse.body !== EXPECTED_BODY) throw new Error(`${info.url} answered ${firstResponse.body}`);
    return { ...info, proc, startupMs: Math.round(performance.now() - started), firstResponse };
  } catch (error) {
    const log = tail(proc);
    await proc.stop();
    throw new Error(`${message(error)}${log === '' ? '' : ` (log: ${log})`}`, { cause: error });
  }
}

/** laambda dev on port 0: the port is read back from the URL it prints once listening. */
async function startLaambda(run: Run): Promise<Started> {
  const app = path.join(run.work, 'app');
  cpSync(path.join(fixturesDir, 'gateway-app'), app, { recursive: true });
  const args = [path.join(repoRoot, 'bin/laambda.js'), 'dev', app, '--port', '0'];
  const log = path.join(run.work, 'laambda.log');
  const env = benchEnv(run);
  const proc = startProcess({ command: process.execPath, args, cwd: run.work, env, log, scope: run.work });
  return serving(proc, run, async () => {
    // Port 0 leaves the printed URL as the only way to learn the port; readiness is the health route.
    const printed = async () => /http:\/\/127\.0\.0\.1:\d+/.exec(proc.output())?.[0] ?? null;
    const base = await waitFor({ what: 'the URL on stdout', proc, timeoutMs: run.plan.readyTimeoutMs }, printed);
    await waitForOk(`${base}/__laambda/health`, proc, run);
    return { url: `${base}/hello`, node: process.version, command: 'laambda dev app --port 0' };
  });
}

/** serverless offline start on `node`. It needs fixed ports: free ones are picked just before. */
async function startOfflineOn(node: string, peerDir: string, run: Run): Promise<Started> {
  const app = path.join(run.work, 'offline');
  rmSync(app, { recursive: true, force: true });
  cpSync(path.join(fixturesDir, 'gateway-offline'), app, { recursive: true });
  // serverless resolves the plugin from the service directory.
  symlinkSync(path.join(peerDir, 'node_modules'), path.join(app, 'node_modules'));
  const [httpPort, lambdaPort, websocketPort, albPort] = await freePorts(4);
  const flags = ['--host', '127.0.0.1', '--httpPort', `${httpPort}`, '--lambdaPort', `${lambdaPort}`];
  flags.push('--websocketPort', `${websocketPort}`, '--albPort', `${albPort}`, '--noPrependStageInUrl');
  const args = [path.join(peerDir, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', ...flags];
  const log = path.join(run.work, `offline-${path.basename(node)}-${httpPort}.log`);
  const proc = startProcess({ command: node, args, cwd: app, env: benchEnv(run), log, scope: run.work });
  return serving(proc, run, async () => ({
    url: `http://127.0.0.1:${httpPort}/hello`,
    node: execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(),
    command: `serverless offline start ${flags.join(' ')}`,
  }));
}

/**
 * serverless 3 runs on the bench's own Node first; should it refuse, on the system's Node.
 * Every refusal is kept in `refusals` and ends up in the report.
 */
async function startOffline(peerDir: string, run: Run, refusals: string[]): Promise<Started> {
  const own = realpathSync(process.execPath);
  for (const node of [own, ...systemNodes().filter((other) => other !== own)]) {
    try {
      return await startOfflineOn(node, peerDir, run);
    } catch (error) {
      refusals.push(`${node}: ${message(error)}`);
    }
  }
  throw new Error(`serverless-offline did not start: ${refusals.join('; ')}`);
}

/** Measures a skewed window again, up to this many runs in all, and keeps the least skewed. */
const MAX_ATTEMPTS = 3;

/** Warm-up at 16 connections, then 16 connections for throughput, then 1 for latency. */
async function measure(started: Started, run: Run) {
  const { plan, progress } = run;
  const server = { scope: run.work, pid: started.proc.pid };
  const cpus = os.cpus().length;
  const wrk = { wrk: run.wrk, url: started.url, scratchDir: run.work };
  const load = async (connections: number, seconds: number, retries: boolean): Promise<LoadRun> => {
    let best: LoadRun | undefined;
    for (let attempts = 1; attempts <= MAX_ATTEMPTS; attempts++) {
      const measured = await withCpuUse(server, () => runWrk({ ...wrk, connections, seconds }));
      const share = otherWorkShare(measured, cpus);
      if (best === undefined || share < otherWorkShare(best, cpus)) best = { ...measured, attempts };
      // A shared VM: other people's work in the window would make the numbers say little.
      if (!retries || share <= SKEWED_SHARE || attempts === MAX_ATTEMPTS) break;
      progress(`  other work took ${Math.round(share * 100)}% of the CPUs: measuring again`);
    }
    return best as LoadRun;
  };
  progress(`  warm-up: ${plan.warmupSeconds} s at ${plan.throughputConnections} connections`);
  const warmup = await load(plan.throughputConnections, plan.warmupSeconds, false);
  progress(`  throughput: ${plan.throughputSeconds} s at ${plan.throughputConnections} connections`);
  const throughput = await load(plan.throughputConnections, plan.throughputSeconds, true);
  // The server and every function process it started while 16 requests were in flight.
  const processesUnderLoad = processesUnder(run.work).length;
  progress(`  latency: ${plan.latencySeconds} s at ${plan.latencyConnections} connection`);
  const latency = await load(plan.latencyConnections, plan.latencySeconds, true);
  const runs = [warmup, throughput, latency];
  return {
    warmup,
    throughput,
    latency,
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    socketErrors: runs.reduce((sum, r) => sum + r.socketErrors, 0),
    processesUnderLoad,
  };
}

/** Starts, measures and stops one platform; whatever goes wrong becomes its `failed`. */
async function benchTarget(name: string, start: () => Promise<Started>, run: Run): Promise<TargetOutcome> {
  run.progress(`${name}: starting`);
  let started: Started | undefined;
  try {
    started = await start();
    run.progress(`${name}: ready in ${started.startupMs} ms at ${started.url}`);
    const numbers = await measure(started, run);
    const { proc, url: _url, ...rest } = started;
    const leftoverProcesses = await proc.stop();
    return { ...rest, ...numbers, leftoverProcesses };
  } catch (error) {
    if (started === undefined) return { failed: message(error) };
    const log = tail(started.proc);
    await started.proc.stop();
    return { failed: `${message(error)} (log: ${log})` };
  }
}

function gitDescribe(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export async function runGatewayBench(options: GatewayBenchOptions): Promise<GatewayReport> {
  const { quick, resultsDir, progress } = options;
  const plan = quick ? QUICK_GATEWAY_PLAN : FULL_GATEWAY_PLAN;
  const wrk = ensureAptTool({ binary: 'wrk', aptPackage: 'wrk', progress });
  const peer = ensureNpmPeer({
    name: 'serverless-offline',
    packages: { serverless: SERVERLESS_VERSION, 'serverless-offline': SERVERLESS_OFFLINE_VERSION },
    progress,
  });
  const machineBefore = await options.machine();
  const work = mkdtempSync(path.join(os.tmpdir(), 'laambda-bench-gateway-'));
  // Also on an interrupt's process.exit(), which skips the finally below.
  process.on('exit', () => rmSync(work, { recursive: true, force: true }));
  const run: Run = { plan, work, wrk, progress };
  const began = performance.now();
  try {
    const laambda = await benchTarget('laambda dev', () => startLaambda(run), run);
    const refusals: string[] = [];
    const offline = await benchTarget('serverless-offline', () => startOffline(peer.dir, run, refusals), run);
    const results = { laambda, serverlessOffline: offline };
    const report: GatewayReport = {
      benchmark: 'gateway',
      mode: quick ? 'quick' : 'full',
      date: new Date().toISOString(),
      durationS: Math.round((performance.now() - began) / 100) / 10,
      machine: { ...machineBefore, loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      plan,
      tools: {
        loadGenerator: { name: 'wrk', version: await wrkVersion(wrk), threads: 1, why: WHY_WRK },
        laambda: { commit: gitDescribe(), node: process.version },
        serverless: SERVERLESS_VERSION,
        serverlessOffline: SERVERLESS_OFFLINE_VERSION,
        serverlessOfflineMode: 'its default: handlers in worker threads of the serverless process',
        peerNode: 'failed' in offline ? null : offline.node,
        peerNodeRefusals: refusals,
      },
      checks: [],
      interference: interference({ results }, os.cpus().length),
      ratio: rpsRatio(laambda, offline),
      results,
    };
    report.checks = gatewayChecks(report);
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, quick ? 'gateway.quick.json' : 'gateway.json');
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    printGatewaySummary(report, path.relative(process.cwd(), file));
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
