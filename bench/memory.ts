import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FunctionSpec } from '../src/runtime/index.ts';
import type { Caller } from './invoke.ts';
import { round } from './stats.ts';

const execFileAsync = promisify(execFile);

/** One environment's memory: VmRSS (the target's figure) and what of it is private or shared. */
export interface ProcessMemory {
  pid: number;
  rssMB: number;
  /** Private anonymous pages: heap, stacks, JIT code. */
  anonMB: number;
  /** Mapped file pages, mostly the node binary: shared with every other environment. */
  fileMB: number;
  /** Proportional set size: shared pages divided among the processes sharing them. */
  pssMB: number | null;
}

export interface EnvironmentMemoryResult {
  environments: number;
  perEnvironmentRssMB: { mean: number; max: number; anonMean: number; pssMean: number | null };
  processes: ProcessMemory[];
}

function kbField(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? round(Number(match[1]) / 1024, 1) : Number.NaN;
}

function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  let pssMB: number | null = null;
  try {
    pssMB = kbField(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'), 'Pss');
  } catch {
    // smaps_rollup needs Linux 4.14
  }
  return {
    pid,
    rssMB: kbField(status, 'VmRSS'),
    anonMB: kbField(status, 'RssAnon'),
    fileMB: kbField(status, 'RssFile'),
    pssMB,
  };
}

function mean(values: readonly number[]): number {
  return round(values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length), 1);
}

/**
 * VmRSS of a fresh Node process that created an engine and nothing else (or, `bare`, one that
 * never loaded it), measured in a child so the harness's own heap does not count.
 */
export async function idleProcessRssMB(dataDir: string, bare: boolean): Promise<number> {
  const script = fileURLToPath(new URL('./idle-rss.child.mjs', import.meta.url));
  const args = [script, dataDir, ...(bare ? ['--bare'] : [])];
  const { stdout } = await execFileAsync(process.execPath, args, { timeout: 20_000 });
  const { rssKB } = JSON.parse(stdout) as { rssKB: number | null };
  if (rssKB === null) throw new Error('the idle process found no VmRSS in /proc/self/status');
  return round(rssKB / 1024, 1);
}

/** Starts `count` warm environments with `count` concurrent invokes and reads each one's memory. */
export async function measureEnvironmentMemory(
  caller: Caller,
  spec: FunctionSpec,
  count: number,
): Promise<EnvironmentMemoryResult> {
  // A few concurrent rounds, so every environment has served at least one invocation.
  for (let i = 0; i < 3; i++) {
    await Promise.all(Array.from({ length: count }, () => caller.invoke(spec)));
  }
  const processes = caller.engine.pids().map(processMemory);
  const rss = processes.map((p) => p.rssMB);
  return {
    environments: processes.length,
    perEnvironmentRssMB: {
      mean: mean(rss),
      max: Math.max(...rss),
      anonMean: mean(processes.map((p) => p.anonMB)),
      pssMean: processes.every((p) => p.pssMB !== null) ? mean(processes.map((p) => p.pssMB ?? 0)) : null,
    },
    processes,
  };
}
