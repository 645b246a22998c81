// The gateway benchmark's report: the shape of bench/results/gateway.json, its targets, and the
// summary printed on stdout.
import { type Check, formatTable } from './report.ts';
import type { CpuUse } from './cpu.ts';
import type { WrkRun } from './wrk.ts';

/** How long each phase runs; `--quick` shrinks them to a smoke run. */
export interface GatewayPlan {
  warmupSeconds: number;
  throughputSeconds: number;
  latencySeconds: number;
  throughputConnections: number;
  latencyConnections: number;
  /** From spawn to the first 200 from the route. */
  readyTimeoutMs: number;
}

/** One wrk run and the CPU it cost; `attempts` > 1 when other work skewed the earlier ones. */
export type LoadRun = WrkRun & { cpu: CpuUse; attempts: number };

/** What one platform did under load. */
export interface TargetResult {
  /** How it was started (paths relative to the run's temp dir). */
  command: string;
  /** The Node version that ran it. */
  node: string;
  /** From spawn to the first 200 from the hello route (which includes its cold start). */
  startupMs: number;
  firstResponse: { status: number; contentType: string | null; body: string };
  warmup: LoadRun;
  throughput: LoadRun;
  latency: LoadRun;
  /** Over warm-up and both measurements. */
  non2xx: number;
  socketErrors: number;
  /** The server and the function processes it runs, counted right after the 16-connection run. */
  processesUnderLoad: number;
  /** Processes still running from the run's temp dir after it was stopped (killed then). */
  leftoverProcesses: number;
}

export type TargetOutcome = TargetResult | { failed: string };

/** What bench/results/gateway.json holds. */
export interface GatewayReport {
  benchmark: 'gateway';
  mode: 'quick' | 'full';
  date: string;
  durationS: number;
  machine: Record<string, unknown>;
  plan: GatewayPlan;
  tools: {
    loadGenerator: { name: 'wrk'; version: string; threads: number; why: string };
    laambda: { commit: string; node: string };
    serverless: string;
    serverlessOffline: string;
    serverlessOfflineMode: string;
    /** The Node version that ran serverless, null when it never started. */
    peerNode: string | null;
    /** Each Node that refused to run serverless, and why. */
    peerNodeRefusals: string[];
  };
  checks: Check[];
  /** Measurement windows that other work on the machine skewed. */
  interference: string[];
  /** laambda's requests/s over serverless-offline's, at 16 connections. */
  ratio: number | null;
  results: { laambda: TargetOutcome; serverlessOffline: TargetOutcome };
}

export function rpsRatio(laambda: TargetOutcome, offline: TargetOutcome): number | null {
  if ('failed' in laambda || 'failed' in offline || offline.throughput.requestsPerSecond === 0) return null;
  return Math.round((laambda.throughput.requestsPerSecond / offline.throughput.requestsPerSecond) * 100) / 100;
}

/** How much of the window other work on the machine took: it skews what the window measured. */
function otherWork(run: LoadRun): string {
  const { serverCoreSeconds, serverMainCoreSeconds, otherCoreSeconds } = run.cpu;
  const used = `${serverCoreSeconds} core-s (main process ${serverMainCoreSeconds})`;
  return `${used}, other work ${otherCoreSeconds} core-s, in ${run.seconds} s`;
}

function runNote(run: LoadRun): string {
  const requests = `${run.requests} requests`;
  return run.attempts === 1 ? requests : `${requests}, least skewed of ${run.attempts} runs`;
}

type Bound = { max: number } | { min: number } | null;

function check(metric: string, value: number | null, unit: string, bound: Bound, note?: string): Check {
  const extra = note === undefined ? {} : { note };
  if (bound === null) return { metric, value, unit, target: null, pass: null, ...extra };
  const target = 'max' in bound ? `<= ${bound.max} ${unit}` : `>= ${bound.min} ${unit}`;
  // A platform that failed to produce the number misses its target.
  if (value === null) return { metric, value, unit, target, pass: false, ...extra };
  return { metric, value, unit, target, pass: 'max' in bound ? value <= bound.max : value >= bound.min, ...extra };
}

function targetChecks(name: string, outcome: TargetOutcome, p50: Bound): Check[] {
  const zero = { max: 0 };
  if ('failed' in outcome) {
    return [
      check(`${name} requests/s, 16 conns`, null, '/s', null, `failed: ${outcome.failed}`),
      check(`${name} p50, 1 conn`, null, 'ms', p50),
      check(`${name} non-2xx`, null, 'responses', zero),
    ];
  }
  const { throughput, latency } = outcome;
  const ms = latency.latencyMs;
  return [
    check(`${name} requests/s, 16 conns`, throughput.requestsPerSecond, '/s', null, runNote(throughput)),
    check(`${name} p50, 1 conn`, ms.p50, 'ms', p50, `${runNote(latency)}, ${latency.requestsPerSecond}/s`),
    check(`${name} CPU per request, 16 conns`, throughput.cpu.serverMsPerRequest, 'ms', null, otherWork(throughput)),
    check(`${name} p90, 1 conn`, ms.p90, 'ms', null),
    check(`${name} p99, 1 conn`, ms.p99, 'ms', null),
    check(`${name} non-2xx`, outcome.non2xx, 'responses', zero, 'warm-up and both runs'),
    check(`${name} socket errors`, outcome.socketErrors, 'errors', zero, 'connect, read, write, timeout'),
    check(`${name} processes under load`, outcome.processesUnderLoad, '', null, 'server + function processes'),
    check(`${name} startup`, outcome.startupMs, 'ms', null, 'spawn to the first 200'),
  ];
}

/** The targets of the gateway benchmark, in the order the summary table lists them. */
export function gatewayChecks(report: GatewayReport): Check[] {
  const { laambda, serverlessOffline } = report.results;
  return [
    check('requests/s laambda / offline', report.ratio, '×', { min: 5 }, 'at 16 connections'),
    ...targetChecks('laambda', laambda, { max: 0.5 }),
    ...targetChecks('offline', serverlessOffline, null),
  ];
}

/** Above this share of the machine taken by other work, a measurement window counts as skewed. */
export const SKEWED_SHARE = 0.1;

/** The share of all cores that other work on the machine took during a window. */
export function otherWorkShare(run: Pick<LoadRun, 'seconds' | 'cpu'>, cpus: number): number {
  return run.cpu.otherCoreSeconds / Math.max(0.001, run.seconds * cpus);
}

/** Measurement windows in which other work took more than a tenth of the machine. */
export function interference(report: Pick<GatewayReport, 'results'>, cpus: number): string[] {
  const warnings: string[] = [];
  for (const [name, outcome] of Object.entries(report.results)) {
    if ('failed' in outcome) continue;
    for (const window of ['throughput', 'latency'] as const) {
      const run = outcome[window];
      const share = otherWorkShare(run, cpus);
      if (share <= SKEWED_SHARE) continue;
      const pct = Math.round(share * 100);
      warnings.push(`other work took ${pct}% of the CPUs during ${name}'s ${window} run: its numbers are pessimistic`);
    }
  }
  return warnings;
}

export function printGatewaySummary(report: GatewayReport, file: string): void {
  const m = report.machine as { cpus?: number; cpuModel?: string; cpuBusyBefore?: number };
  const t = report.tools;
  console.log(`\nlaambda gateway bench (${report.mode}) — ${m.cpus} × ${m.cpuModel}, node ${t.laambda.node}`);
  console.log(
    `wrk ${t.loadGenerator.version}; serverless ${t.serverless} + serverless-offline ${t.serverlessOffline} ` +
      `on node ${t.peerNode ?? '-'}; took ${report.durationS} s\n`,
  );
  if ((m.cpuBusyBefore ?? 0) > 0.15) {
    const busy = Math.round((m.cpuBusyBefore ?? 0) * 100);
    console.log(`⚠ other work kept ${busy}% of the CPUs busy just before the run: timings are pessimistic\n`);
  }
  console.log(formatTable(report.checks));
  for (const warning of report.interference) console.log(`⚠ ${warning}`);
  const failed = report.checks.filter((c) => c.pass === false).length;
  console.log(`\n${failed} target(s) missed; written to ${file}`);
  for (const [name, outcome] of Object.entries(report.results)) {
    if ('failed' in outcome) console.log(`  ${name} failed: ${outcome.failed}`);
  }
  for (const refusal of t.peerNodeRefusals) console.log(`  serverless refused a Node: ${refusal}`);
}
