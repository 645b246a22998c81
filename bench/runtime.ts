import { createEngine, type Engine, type FunctionSpec } from '../src/runtime/index.ts';
import type { Fixtures } from './fixtures/index.ts';
import {
  Caller,
  type ColdStartResult,
  measureColdStart,
  measureThroughput,
  measureWarmLatency,
  type ThroughputResult,
  type WarmLatencyResult,
} from './invoke.ts';
import { type EnvironmentMemoryResult, idleProcessRssMB, measureEnvironmentMemory } from './memory.ts';

/** How much work each measurement does; `--quick` shrinks every count. */
export interface RuntimeBenchPlan {
  warmupInvocations: number;
  latencyInvocations: number;
  throughputWarmupMs: number;
  throughputMs: number;
  coldSamples: number;
  environments: number;
  /** The whole run is stopped (environments killed) past this. */
  deadlineMs: number;
}

export const FULL_PLAN: RuntimeBenchPlan = {
  warmupInvocations: 1_000,
  latencyInvocations: 5_000,
  throughputWarmupMs: 500,
  throughputMs: 3_000,
  coldSamples: 20,
  environments: 8,
  deadlineMs: 85_000,
};

export const QUICK_PLAN: RuntimeBenchPlan = {
  warmupInvocations: 200,
  latencyInvocations: 500,
  throughputWarmupMs: 200,
  throughputMs: 500,
  coldSamples: 5,
  environments: 8,
  deadlineMs: 30_000,
};

/** A measurement that threw: the others still run, and the summary says which one broke. */
export type Outcome<T> = T | { failed: string };
export type Skippable<T> = Outcome<T> | { skipped: string };

export interface RuntimeBenchResult {
  memoryMode: string;
  warmInvoke: Outcome<WarmLatencyResult>;
  throughput: { oneCaller: Outcome<ThroughputResult>; eightCallers: Outcome<ThroughputResult> };
  coldStart: { nodejs: Outcome<ColdStartResult>; python: Skippable<ColdStartResult> };
  memory: {
    idle: Outcome<{ bareNodeRssMB: number; idleEngineRssMB: number }>;
    environments: Outcome<EnvironmentMemoryResult>;
  };
}

export interface RuntimeBenchOptions {
  dataDir: string;
  fixtures: Fixtures;
  plan: RuntimeBenchPlan;
  /** Called before each measurement, for progress on stderr. */
  progress(step: string): void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs one measurement; `cleanup` (retiring its function) runs whatever happened. */
async function section<T>(run: () => Promise<T>, cleanup?: () => Promise<void>): Promise<Outcome<T>> {
  try {
    return await run();
  } catch (error) {
    return { failed: message(error) };
  } finally {
    await cleanup?.().catch(() => {});
  }
}

function nodeSpec(name: string, codeDir: string, concurrency: number): FunctionSpec {
  return { name, codeDir, handler: 'index.handler', runtime: 'nodejs', concurrency };
}

/** Kills what the engine started and exits, should a measurement hang. */
function armDeadline(engine: Engine, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    process.stderr.write(`✘ the runtime bench passed its ${ms / 1000} s deadline: stopping\n`);
    for (const pid of engine.pids()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exit(3);
  }, ms);
  timer.unref();
  return timer;
}

export async function runRuntimeBench(options: RuntimeBenchOptions): Promise<RuntimeBenchResult> {
  const { dataDir, fixtures, plan, progress } = options;
  progress('idle RSS (fresh processes)');
  const idle = await section(async () => ({
    bareNodeRssMB: await idleProcessRssMB(dataDir, true),
    idleEngineRssMB: await idleProcessRssMB(dataDir, false),
  }));

  const engine = await createEngine({ dataDir });
  const deadline = armDeadline(engine, plan.deadlineMs);
  const caller = new Caller(engine);
  try {
    progress(`warm invoke latency (${plan.latencyInvocations} sequential)`);
    const warm = nodeSpec('bench-warm', fixtures.nodeNoop, 1);
    const retire = (name: string) => () => engine.retire(name);
    const warmInvoke = await section(() => measureWarmLatency(caller, warm, plan), retire(warm.name));

    const throughputOf = (callers: number): Promise<Outcome<ThroughputResult>> => {
      progress(`throughput, ${callers} caller(s)`);
      const spec = nodeSpec(`bench-throughput-${callers}`, fixtures.nodeNoop, Math.max(8, callers));
      return section(() => measureThroughput(caller, spec, callers, plan), retire(spec.name));
    };
    const oneCaller = await throughputOf(1);
    const eightCallers = await throughputOf(8);

    progress(`cold start, nodejs (${plan.coldSamples} samples)`);
    const coldNode = nodeSpec('bench-cold-node', fixtures.nodeNoop, 1);
    const nodejs = await section(() => measureColdStart(caller, coldNode, plan.coldSamples), retire(coldNode.name));

    progress(`cold start, python (${plan.coldSamples} samples)`);
    const coldPython: FunctionSpec = {
      name: 'bench-cold-python',
      codeDir: fixtures.pythonNoop,
      handler: 'index.handler',
      runtime: 'python',
    };
    const pythonRun = await section(
      () => measureColdStart(caller, coldPython, plan.coldSamples),
      retire(coldPython.name),
    );
    // The Python runtime is someone else's work in progress: its failure is a skip, not a miss.
    const python = 'failed' in pythonRun ? { skipped: `the Python runtime failed: ${pythonRun.failed}` } : pythonRun;

    progress(`memory of ${plan.environments} warm environments`);
    const rssSpec = nodeSpec('bench-rss', fixtures.nodeNoop, plan.environments);
    const environments = await section(
      () => measureEnvironmentMemory(caller, rssSpec, plan.environments),
      retire(rssSpec.name),
    );
    return {
      memoryMode: engine.memoryMode,
      warmInvoke,
      throughput: { oneCaller, eightCallers },
      coldStart: { nodejs, python },
      memory: { idle, environments },
    };
  } finally {
    await engine.close();
    clearTimeout(deadline);
  }
}
