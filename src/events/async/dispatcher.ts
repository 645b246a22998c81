// Async invocations (Invoke API `Event`): accepted into storage before the 202, then run here
// in the background. Failed runs are retried twice with back-off (Lambda's default
// MaximumRetryAttempts); retry settings, event age and destinations come with event sources.
import type { AsyncInvocation, AsyncInvocationStore } from '../../core/platform.ts';
import type { Logger } from '../../core/ports.ts';

export interface AsyncDispatcherOptions {
  store: AsyncInvocationStore;
  /** Runs one invocation; resolves `failed` true on a function error. Throws on platform errors (retried too). */
  run(invocation: AsyncInvocation): Promise<{ failed: boolean }>;
  logger: Logger;
  /** Attempts in all (first run + retries). */
  maxAttempts?: number;
  /** Delay before retry n (1-based) in ms; default 1 s then 2 s… */
  backoffMs?: (retry: number) => number;
  /** Most invocations running at once. */
  concurrency?: number;
}

export interface AsyncDispatcher {
  enqueue(invocation: AsyncInvocation): Promise<void>;
  /** Runs what is pending (also what a previous server left). */
  start(): void;
  stop(): Promise<void>;
}

export function createAsyncDispatcher(options: AsyncDispatcherOptions): AsyncDispatcher {
  const maxAttempts = options.maxAttempts ?? 3;
  const backoff = options.backoffMs ?? ((retry: number) => 1000 * 2 ** (retry - 1));
  const concurrency = options.concurrency ?? 8;
  const running = new Map<string, Promise<void>>();
  const waiting = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = true;
  let pumping = false;

  async function attempt(invocation: AsyncInvocation): Promise<void> {
    let failed: boolean;
    try {
      failed = (await options.run(invocation)).failed;
    } catch (error) {
      options.logger.warn({ err: error, id: invocation.id, fn: invocation.functionName }, 'async invocation could not run');
      failed = true;
    }
    if (!failed) {
      await options.store.remove(invocation.id);
      return;
    }
    const attempts = invocation.attempts + 1;
    if (attempts >= maxAttempts) {
      options.logger.warn({ id: invocation.id, fn: invocation.functionName, attempts }, 'async invocation failed on every attempt; dropped');
      await options.store.remove(invocation.id);
      return;
    }
    await options.store.recordAttempt(invocation.id);
    waiting.add(invocation.id);
    const timer = setTimeout(() => {
      timers.delete(timer);
      waiting.delete(invocation.id);
      void pump();
    }, backoff(attempts));
    timers.add(timer);
  }

  async function pump(): Promise<void> {
    if (stopped || pumping) return;
    pumping = true;
    try {
      while (!stopped && running.size < concurrency) {
        const pending = (await options.store.pending(concurrency * 2)).filter((inv) => !running.has(inv.id) && !waiting.has(inv.id));
        if (pending.length === 0) break;
        for (const invocation of pending.slice(0, concurrency - running.size)) {
          const run = attempt(invocation)
            .catch((error: unknown) => options.logger.error({ err: error, id: invocation.id }, 'async invocation bookkeeping failed'))
            .finally(() => {
              running.delete(invocation.id);
              void pump();
            });
          running.set(invocation.id, run);
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    async enqueue(invocation) {
      await options.store.enqueue(invocation);
      void pump();
    },
    start() {
      stopped = false;
      void pump();
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(running.values());
    },
  };
}
