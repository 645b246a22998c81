import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Engine, FunctionSpec, InvokeResult } from '../src/runtime/index.ts';
import { round, summarize, type Summary } from './stats.ts';

const PAYLOAD = '{}';
/** How long one call keeps retrying throttles before the measurement gives up. */
const THROTTLE_GIVE_UP_MS = 5_000;

/** Invokes through the engine and counts what a caller would have seen go wrong. */
export class Caller {
  readonly engine: Engine;
  /** Invocations refused with ERR_INVOKE_THROTTLED, then retried: a caller saw a 429. */
  throttled = 0;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  /**
   * One invocation that must succeed: a function error would make every number meaningless.
   * A throttle is retried on the next turn of the event loop and counted; the sample's time
   * then includes the retry.
   */
  async invoke(spec: FunctionSpec): Promise<InvokeResult> {
    const started = performance.now();
    for (;;) {
      let result: InvokeResult;
      try {
        result = await this.engine.invoke(spec, { payload: PAYLOAD });
      } catch (error) {
        if ((error as { code?: string }).code !== 'ERR_INVOKE_THROTTLED') throw error;
        this.throttled++;
        if (performance.now() - started > THROTTLE_GIVE_UP_MS) throw error;
        await nextTurn();
        continue;
      }
      if (result.error !== undefined) {
        throw new Error(`${spec.name} failed: ${result.error.errorType}: ${result.error.errorMessage}`);
      }
      return result;
    }
  }
}

export interface WarmLatencyResult extends Summary {
  throttled: number;
}

export async function measureWarmLatency(
  caller: Caller,
  spec: FunctionSpec,
  plan: { warmupInvocations: number; latencyInvocations: number },
): Promise<WarmLatencyResult> {
  for (let i = 0; i < plan.warmupInvocations; i++) await caller.invoke(spec);
  const throttledBefore = caller.throttled;
  const samples = new Array<number>(plan.latencyInvocations);
  for (let i = 0; i < plan.latencyInvocations; i++) {
    const started = performance.now();
    await caller.invoke(spec);
    samples[i] = performance.now() - started;
  }
  return { ...summarize(samples), throttled: caller.throttled - throttledBefore };
}

export interface ThroughputResult {
  callers: number;
  environments: number;
  invocations: number;
  seconds: number;
  perSecond: number;
  throttled: number;
}

/** `callers` loops invoking back to back until the deadline; counts completions inside it. */
async function runCallers(caller: Caller, spec: FunctionSpec, callers: number, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  let completed = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await caller.invoke(spec);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  return completed;
}

export async function measureThroughput(
  caller: Caller,
  spec: FunctionSpec,
  callers: number,
  plan: { throughputWarmupMs: number; throughputMs: number },
): Promise<ThroughputResult> {
  // The warm-up starts one environment per caller, so the timed window has no cold starts.
  await runCallers(caller, spec, callers, plan.throughputWarmupMs);
  const throttledBefore = caller.throttled;
  const started = performance.now();
  const invocations = await runCallers(caller, spec, callers, plan.throughputMs);
  const seconds = (performance.now() - started) / 1000;
  const pool = caller.engine.stats().find((stats) => stats.functionName === spec.name);
  return {
    callers,
    environments: pool?.environments ?? 0,
    invocations,
    seconds: round(seconds),
    perSecond: Math.round(invocations / seconds),
    throttled: caller.throttled - throttledBefore,
  };
}

export interface ColdStartResult {
  wallMs: Summary;
  initDurationMs: Summary;
  /** Every sample's wall time, in order, to spot drift. */
  wallSamplesMs: number[];
}

/** Wall time of an invoke that has to start a fresh environment; retired in between. */
export async function measureColdStart(caller: Caller, spec: FunctionSpec, samples: number): Promise<ColdStartResult> {
  const { engine } = caller;
  const wall: number[] = [];
  const init: number[] = [];
  // One untimed start first: the first Python start also resolves the interpreter.
  await caller.invoke(spec);
  await engine.retire(spec.name);
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    const result = await caller.invoke(spec);
    wall.push(performance.now() - started);
    if (!result.coldStart || result.initDurationMs === undefined) {
      throw new Error(`${spec.name}: sample ${i} was not a cold start`);
    }
    init.push(result.initDurationMs);
    await engine.retire(spec.name);
  }
  return { wallMs: summarize(wall), initDurationMs: summarize(init), wallSamplesMs: wall.map((ms) => round(ms, 1)) };
}
