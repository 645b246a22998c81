// Async invocations (Invoke API `Event`, bucket notifications, schedules): accepted into storage
// first, then run here in the background as Lambda runs them: a function error is retried
// (MaximumRetryAttempts 0-2, back-off about 1 then 2 minutes), an event older than
// MaximumEventAgeInSeconds is not run again, and the outcome's invocation record goes to the
// OnSuccess / OnFailure destination. The retry time is stored, so retries survive a restart.
import { DEFAULT_ASYNC_CONFIG, type AsyncConfig, type Destination } from '../../core/app.ts';
import type { AsyncInvocation, AsyncInvocationDraft, AsyncInvocationStore } from '../../core/platform.ts';
import { systemClock, type Clock, type Logger } from '../../core/ports.ts';
import { realTimers, type Timers } from '../../core/schedules.ts';
import { invocationRecord, type InvocationCondition, type InvocationRecord } from './record.ts';

/** What one run of the function answered. */
export interface AsyncRunResult {
  /** True on a function error (the Invoke API's `X-Amz-Function-Error: Unhandled`). */
  failed: boolean;
  /** The response, or the error JSON when it failed. Default: empty. */
  payload?: Buffer;
  /** Default `$LATEST`. */
  executedVersion?: string;
}

export interface AsyncDispatcherOptions {
  store: AsyncInvocationStore;
  /**
   * Runs one invocation. Resolves undefined when there is nothing to run any more (the app or
   * function is gone): the invocation is dropped. Throws on platform errors, which are retried
   * like function errors.
   */
  run(invocation: AsyncInvocation): Promise<AsyncRunResult | undefined>;
  logger: Logger;
  /** The function's async settings when it runs (they follow deploys); default Lambda's. */
  configFor?(invocation: AsyncInvocation): Promise<AsyncConfig | undefined>;
  /** Sends an invocation record to a destination; a failure is logged and the record dropped, as Lambda does. */
  deliver?(destination: Destination, record: InvocationRecord, invocation: AsyncInvocation): Promise<void>;
  /** The unqualified ARN named in records; default `arn:aws:lambda:us-east-1:000000000000:function:NAME`. */
  functionArn?(invocation: AsyncInvocation): string;
  /** Ages and retry times. */
  clock?: Clock;
  /** Wakes the dispatcher when the next retry is due. */
  timers?: Timers;
  /** Delay before retry n (1-based) in ms; default 60 s, then 120 s, as Lambda. */
  retryDelayMs?: (retry: number) => number;
  /** Most invocations running at once; default 8. */
  concurrency?: number;
}

export interface AsyncDispatcher {
  /** Stores the invocation (an id already stored is ignored) and wakes the dispatcher; true when it was new. */
  enqueue(invocation: AsyncInvocationDraft): Promise<boolean>;
  /** Runs what is due (also what a previous server left) and keeps doing so. */
  start(): void;
  /** Stops starting invocations and waits for the running ones. */
  stop(): Promise<void>;
}

const DEFAULT_ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:';

export function createAsyncDispatcher(options: AsyncDispatcherOptions): AsyncDispatcher {
  const { store, logger } = options;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? realTimers;
  const retryDelay = options.retryDelayMs ?? ((retry: number) => 60_000 * retry);
  const concurrency = options.concurrency ?? 8;
  const running = new Map<string, Promise<void>>();
  let cancelTimer: (() => void) | undefined;
  let stopped = true;
  let pumping = false;
  let again = false;

  const arnOf = (invocation: AsyncInvocation, version: string) =>
    `${options.functionArn?.(invocation) ?? DEFAULT_ARN_PREFIX + invocation.functionName}:${version}`;

  async function finish(
    invocation: AsyncInvocation,
    config: AsyncConfig,
    condition: InvocationCondition,
    response?: { failed: boolean; payload: Buffer; executedVersion: string },
  ): Promise<void> {
    const destination = condition === 'Success' ? config.onSuccess : config.onFailure;
    if (destination !== undefined && options.deliver !== undefined) {
      const invokeCount = condition === 'EventAgeExceeded' ? invocation.attempts : invocation.attempts + 1;
      const record = invocationRecord({
        requestId: invocation.id,
        functionArn: arnOf(invocation, response?.executedVersion ?? (invocation.release === null ? '$LATEST' : String(invocation.release))),
        condition,
        invokeCount,
        requestPayload: invocation.payload,
        at: clock.now(),
        ...(response === undefined ? {} : { response }),
      });
      try {
        await options.deliver(destination, record, invocation);
      } catch (error) {
        logger.error({ err: error, id: invocation.id, fn: invocation.functionName, destination }, 'async destination delivery failed; record dropped');
      }
    }
    await store.remove(invocation.id);
  }

  async function attempt(invocation: AsyncInvocation): Promise<void> {
    const log = logger.child({ id: invocation.id, fn: invocation.functionName, source: invocation.source });
    const config = { ...DEFAULT_ASYNC_CONFIG, ...(await options.configFor?.(invocation)) };
    const age = clock.now() - invocation.createdAt;
    if (age > config.maximumEventAgeSeconds * 1000) {
      log.warn({ ageMs: age, attempts: invocation.attempts }, 'async event too old; not run again');
      await finish(invocation, config, 'EventAgeExceeded');
      return;
    }
    let result: { failed: boolean; payload: Buffer; executedVersion: string };
    try {
      const ran = await options.run(invocation);
      if (ran === undefined) {
        log.warn({}, 'async invocation has nothing to run any more; dropped');
        await store.remove(invocation.id);
        return;
      }
      result = { failed: ran.failed, payload: ran.payload ?? Buffer.alloc(0), executedVersion: ran.executedVersion ?? '$LATEST' };
    } catch (error) {
      log.warn({ err: error }, 'async invocation could not run');
      const message = error instanceof Error ? error.message : String(error);
      result = { failed: true, payload: Buffer.from(JSON.stringify({ errorType: 'Runtime.Unknown', errorMessage: message })), executedVersion: '$LATEST' };
    }
    if (!result.failed) {
      await finish(invocation, config, 'Success', result);
      return;
    }
    const attempts = invocation.attempts + 1;
    if (attempts > config.maximumRetryAttempts) {
      log.warn({ attempts }, 'async invocation failed on every attempt');
      await finish(invocation, config, 'RetriesExhausted', result);
      return;
    }
    const next = clock.now() + retryDelay(attempts);
    log.info({ attempts, retryAt: new Date(next).toISOString() }, 'async invocation failed; will retry');
    await store.recordAttempt(invocation.id, next);
  }

  /** Sleeps until the next stored retry is due. */
  async function arm(): Promise<void> {
    cancelTimer?.();
    cancelTimer = undefined;
    const next = await store.nextDue(clock.now());
    if (next === undefined || stopped) return;
    cancelTimer = timers.set(() => {
      cancelTimer = undefined;
      void pump();
    }, next - clock.now());
  }

  async function pump(): Promise<void> {
    if (stopped) return;
    // A wake-up while pumping must not be lost: the loop below may have read the store already.
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        while (!stopped && running.size < concurrency) {
          const due = (await store.pending(concurrency * 2, clock.now())).filter((inv) => !running.has(inv.id));
          if (due.length === 0) break;
          for (const invocation of due.slice(0, concurrency - running.size)) {
            const run = attempt(invocation)
              .catch((error: unknown) => logger.error({ err: error, id: invocation.id }, 'async invocation bookkeeping failed'))
              .finally(() => {
                running.delete(invocation.id);
                void pump();
              });
            running.set(invocation.id, run);
          }
        }
        if (!stopped) await arm();
      } while (again && !stopped);
    } catch (error) {
      logger.error({ err: error }, 'async dispatcher could not read its queue');
    } finally {
      pumping = false;
    }
  }

  return {
    async enqueue(invocation) {
      const added = await store.enqueue(invocation);
      if (added) void pump();
      return added;
    },
    start() {
      stopped = false;
      void pump();
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      await Promise.all(running.values());
    },
  };
}
