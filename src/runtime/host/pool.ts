import { LaambdaError } from '../../core/errors.ts';
import type { Clock } from '../../core/ports.ts';
import type { ResolvedFunctionSpec } from '../../core/function.ts';
import type { Environment } from './environment.ts';
import type { FunctionError, Invocation } from './types.ts';

export interface PoolOptions {
  spec: ResolvedFunctionSpec;
  clock: Clock;
  /** Idle environments older than this are stopped (scale to zero), minWarm excepted. */
  idleTimeoutMs: number;
  createEnvironment(hooks: {
    provisioned: boolean;
    onAvailable(env: Environment): void;
    onDead(env: Environment, undelivered?: Invocation): void;
  }): Environment;
}

export interface PoolStats {
  functionName: string;
  version: string;
  environments: number;
  starting: number;
  busy: number;
  idle: number;
  waiting: number;
}

/**
 * The environments of one function version. Each serves one invocation at a time; more start
 * on demand up to the concurrency limit, never more at once than invocations waiting for one.
 */
export class Pool {
  readonly spec: ResolvedFunctionSpec;
  readonly #options: PoolOptions;
  readonly #envs = new Set<Environment>();
  readonly #starting = new Set<Environment>();
  /** Most recently used last, so the oldest idle ones are the ones reaped. */
  #idle: Environment[] = [];
  #waiting: Invocation[] = [];
  /** Killed for being idle, not yet gone. */
  readonly #reaped = new Set<Environment>();
  /** Environments started by warmOne(), with whoever waits for their init. */
  readonly #warming = new Map<Environment, (error: FunctionError | undefined) => void>();
  #closing = false;
  readonly #reaper: NodeJS.Timeout;
  #emptied: (() => void) | undefined;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.spec = options.spec;
    this.#reaper = setInterval(() => this.#reap(), Math.max(10, Math.min(options.idleTimeoutMs / 2, 1000)));
    this.#reaper.unref();
    this.#fill();
  }

  /** Runs the invocation on an idle environment, or queues it for one that is starting. */
  submit(invocation: Invocation): void {
    if (this.#closing) {
      throw new LaambdaError('ERR_ENGINE_CLOSED', `function ${this.spec.name} is being stopped`);
    }
    for (let env = this.#idle.pop(); env !== undefined; env = this.#idle.pop()) {
      if (env.state === 'idle') {
        env.invoke(invocation);
        return;
      }
    }
    // Throttle only when no environment could ever take it: all exist and none is starting spare.
    if (this.#envs.size >= this.spec.concurrency && this.#waiting.length >= this.#starting.size) {
      throw new LaambdaError(
        'ERR_INVOKE_THROTTLED',
        `Rate Exceeded: function ${this.spec.name} is at its concurrency limit of ${this.spec.concurrency}`,
        { details: { reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', limit: this.spec.concurrency } },
      );
    }
    this.#waiting.push(invocation);
    this.#fill();
  }

  /** Starts one more environment (within the concurrency limit) and reports how its init went. */
  warmOne(): Promise<FunctionError | undefined> {
    if (this.#closing) {
      return Promise.reject(new LaambdaError('ERR_ENGINE_CLOSED', `function ${this.spec.name} is being stopped`));
    }
    const idle = this.#idle.find((env) => env.state === 'idle');
    if (idle !== undefined || this.#envs.size >= this.spec.concurrency) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#warming.set(this.#start(false), resolve));
  }

  stats(): PoolStats {
    let busy = 0;
    for (const env of this.#envs) if (env.state === 'busy') busy++;
    return {
      functionName: this.spec.name,
      version: this.spec.version,
      environments: this.#envs.size,
      starting: this.#starting.size,
      busy,
      idle: this.#idle.filter((env) => env.state === 'idle').length,
      waiting: this.#waiting.length,
    };
  }

  /** Process ids of the live environments (for leak checks and metrics). */
  pids(): number[] {
    return [...this.#envs].flatMap((env) => (env.pid === undefined ? [] : [env.pid]));
  }

  /**
   * Stops taking invocations; idle environments stop now, busy ones after their invocation
   * (in-flight work finishes on the old code). Invocations already queued still run: the
   * environments starting for them stay. Resolves when every environment is gone.
   */
  drain(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#reaper);
    const needed = this.#waiting.length;
    let kept = 0;
    for (const env of this.#envs) {
      if (env.state === 'busy') continue;
      if (env.state === 'starting' && kept < needed) {
        kept += 1;
        continue;
      }
      env.kill();
    }
    return this.#whenEmpty();
  }

  /** Stops everything now, failing queued invocations. */
  close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#reaper);
    for (const invocation of this.#waiting.splice(0)) {
      invocation.reject(new LaambdaError('ERR_ENGINE_CLOSED', 'the engine stopped before the invocation ran'));
    }
    for (const env of this.#envs) env.kill();
    return this.#whenEmpty();
  }

  #whenEmpty(): Promise<void> {
    if (this.#envs.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#emptied = resolve;
    });
  }

  #start(provisioned: boolean): Environment {
    const env = this.#options.createEnvironment({
      provisioned,
      onAvailable: (ready) => this.#onAvailable(ready),
      onDead: (dead, undelivered) => this.#onDead(dead, undelivered),
    });
    this.#envs.add(env);
    this.#starting.add(env);
    env.start();
    return env;
  }

  /** Starts environments for waiting invocations and (unless draining) up to the warm minimum. */
  #fill(): void {
    while (this.#starting.size < this.#waiting.length && this.#envs.size < this.spec.concurrency) {
      this.#start(false);
    }
    if (this.#closing) return;
    while (this.#envs.size < this.spec.minWarm) this.#start(true);
  }

  #onAvailable(env: Environment): void {
    this.#starting.delete(env);
    const warmed = this.#warming.get(env);
    if (warmed !== undefined) {
      this.#warming.delete(env);
      warmed(env.initError);
    }
    const next = this.#waiting.shift();
    if (next !== undefined) env.invoke(next);
    // A draining pool keeps an environment only while queued invocations need it.
    else if (this.#closing) env.kill();
    else if (env.initError === undefined) this.#idle.push(env);
  }

  #onDead(env: Environment, undelivered: Invocation | undefined): void {
    if (undelivered !== undefined) {
      if (this.#closing) {
        undelivered.reject(new LaambdaError('ERR_ENGINE_CLOSED', 'the engine stopped before the invocation ran'));
      } else {
        this.#waiting.unshift(undelivered);
      }
    }
    this.#envs.delete(env);
    this.#starting.delete(env);
    this.#reaped.delete(env);
    this.#warming.get(env)?.({ errorType: 'Runtime.ExitError', errorMessage: 'the environment stopped during init' });
    this.#warming.delete(env);
    this.#idle = this.#idle.filter((other) => other !== env);
    if (this.#envs.size === 0 && this.#emptied !== undefined) this.#emptied();
    this.#fill();
  }

  #reap(): void {
    const cutoff = this.#options.clock.monotonic() - this.#options.idleTimeoutMs;
    for (const env of [...this.#idle]) {
      // A reaped environment stays in #envs until its process has exited: count it out, or the
      // reaper kills the warm minimum too (and #fill then starts it again, cold).
      if (this.#envs.size - this.#reaped.size <= this.spec.minWarm) return;
      if (env.state === 'idle' && env.lastUsed < cutoff) {
        this.#idle = this.#idle.filter((other) => other !== env);
        this.#reaped.add(env);
        env.kill();
      }
    }
  }
}
