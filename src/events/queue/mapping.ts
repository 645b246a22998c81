// Queue → function mappings, as Lambda's SQS event source mappings behave: one long-polling
// receiver per mapping gathers batches (BatchSize, MaximumBatchingWindowInSeconds) and runs up to
// MaximumConcurrency invocations at once. Success deletes the batch; a function error leaves it
// to reappear after the visibility timeout (and the queue's redrive policy dead-letters it).
// FIFO order needs nothing more here: the queue hands out no message of a group while another is
// in flight, so concurrent batches never share a group.
import type { QueueEventSource } from '../../core/app.ts';
import { LaambdaError } from '../../core/errors.ts';
import { silentLogger, systemClock, type Clock, type Logger } from '../../core/ports.ts';
import type { QueueAttributes, ReceivedMessage } from '../../core/queues.ts';
import { buildSqsEvent } from './payload.ts';
import type { QueueService } from './service.ts';

export type QueueMappingInvoke = (appId: string, functionName: string, payload: Buffer) => Promise<{ error?: unknown; payload: Buffer }>;

export interface QueueMappingsOptions {
  service: QueueService;
  invoke: QueueMappingInvoke;
  region: string;
  accountId: string;
  clock?: Clock;
  logger?: Logger;
  /** How long a mapping whose queue is missing or invalid waits before it looks again; default 5 s. */
  retryDelayMs?: number;
}

export interface QueueMappingSpec {
  functionName: string;
  functionTimeoutS: number;
  source: QueueEventSource;
}

export interface QueueMappingStatus {
  functionName: string;
  queue: string;
  /** `polling`; `disabled`; `queue-not-found` (retried: the queue may be created later); `invalid`. */
  state: 'polling' | 'disabled' | 'queue-not-found' | 'invalid';
  batchSize: number;
  invocations: number;
  /** Messages deleted after their function succeeded. */
  processed: number;
  lastError?: string;
  lastErrorAt?: number;
}

export interface QueueMappings {
  /** Makes the app's running mappings exactly `mappings`: starts, stops and restarts pollers. */
  sync(appId: string, mappings: QueueMappingSpec[]): Promise<void>;
  status(appId: string): QueueMappingStatus[];
  /** Stops every poller and waits for running batches to finish. */
  stop(): Promise<void>;
}

/** Lambda's rule: the queue must hide a message at least as long as the function may run. */
export function validateMapping(queueAttributes: QueueAttributes, functionTimeoutS: number): void {
  if (queueAttributes.visibilityTimeoutS < functionTimeoutS) {
    throw new LaambdaError(
      'ERR_EVENT_SOURCE_INVALID',
      `Queue visibility timeout: ${queueAttributes.visibilityTimeoutS} seconds is less than Function timeout: ${functionTimeoutS} seconds. ` +
        `Raise the queue's VisibilityTimeout to at least ${functionTimeoutS} (AWS recommends 6 × the function timeout) or lower the function timeout.`,
    );
  }
}

const DEFAULT_CONCURRENCY = 5;
const LONG_POLL_S = 20;

interface Poller {
  key: string;
  fingerprint: string;
  spec: QueueMappingSpec;
  status: QueueMappingStatus;
  controller: AbortController;
  done: Promise<void>;
}

export function createQueueMappings(options: QueueMappingsOptions): QueueMappings {
  const { service, invoke, region } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const retryDelayMs = options.retryDelayMs ?? 5000;
  const apps = new Map<string, Map<string, Poller>>();

  function start(appId: string, spec: QueueMappingSpec): Poller {
    const { source } = spec;
    const controller = new AbortController();
    const status: QueueMappingStatus = {
      functionName: spec.functionName,
      queue: source.queue,
      state: source.enabled ? 'polling' : 'disabled',
      batchSize: source.batchSize,
      invocations: 0,
      processed: 0,
    };
    const poller: Poller = {
      key: `${spec.functionName}\u0000${source.queue}`,
      fingerprint: JSON.stringify(spec),
      spec,
      status,
      controller,
      done: source.enabled ? run(appId, spec, status, controller.signal) : Promise.resolve(),
    };
    return poller;
  }

  async function run(appId: string, spec: QueueMappingSpec, status: QueueMappingStatus, signal: AbortSignal): Promise<void> {
    const log = logger.child({ appId, fn: spec.functionName, queue: spec.source.queue });
    const limit = Math.max(1, spec.source.maximumConcurrency ?? DEFAULT_CONCURRENCY);
    const running = new Set<Promise<void>>();
    const fail = (state: QueueMappingStatus['state'], error: unknown): void => {
      status.state = state;
      status.lastError = error instanceof Error ? error.message : String(error);
      status.lastErrorAt = clock.now();
    };
    while (!signal.aborted) {
      if (running.size >= limit) {
        await Promise.race(running);
        continue;
      }
      let batch: ReceivedMessage[];
      try {
        const queue = await service.getQueue(appId, spec.source.queue);
        validateMapping(queue.attributes, spec.functionTimeoutS);
        if (status.state !== 'polling') log.info({}, 'queue mapping polling');
        status.state = 'polling';
        batch = await gather(appId, spec.source, signal);
      } catch (error) {
        const missing = error instanceof LaambdaError && error.code === 'ERR_QUEUE_NOT_FOUND';
        const invalid = error instanceof LaambdaError && error.code === 'ERR_EVENT_SOURCE_INVALID';
        if (status.state === 'polling') log.warn({ err: error }, 'queue mapping cannot poll');
        fail(missing ? 'queue-not-found' : invalid ? 'invalid' : status.state, error);
        await pause(retryDelayMs, signal);
        continue;
      }
      if (batch.length === 0) continue;
      const task = handle(appId, spec, batch, status, log).catch((error: unknown) => {
        fail(status.state, error);
        log.error({ err: error }, 'queue batch failed');
      });
      const tracked = task.finally(() => running.delete(tracked));
      running.add(tracked);
    }
    await Promise.all(running);
  }

  /** A first message by long poll, then more until the batch is full or the window closes. */
  async function gather(appId: string, source: QueueEventSource, signal: AbortSignal): Promise<ReceivedMessage[]> {
    const batch = await service.receive(appId, source.queue, { max: source.batchSize, waitS: LONG_POLL_S }, signal);
    if (batch.length === 0 || source.maximumBatchingWindowSeconds <= 0) return batch;
    const deadline = Date.now() + source.maximumBatchingWindowSeconds * 1000;
    while (batch.length < source.batchSize && !signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const window = AbortSignal.any([signal, AbortSignal.timeout(left)]);
      const more = await service.receive(appId, source.queue, { max: source.batchSize - batch.length, waitS: LONG_POLL_S }, window);
      batch.push(...more);
    }
    return batch;
  }

  async function handle(appId: string, spec: QueueMappingSpec, batch: ReceivedMessage[], status: QueueMappingStatus, log: Logger): Promise<void> {
    const event = buildSqsEvent(batch, service.arn(spec.source.queue), region);
    status.invocations += 1;
    const result = await invoke(appId, spec.functionName, Buffer.from(JSON.stringify(event)));
    if (result.error !== undefined) {
      // The whole batch comes back after the visibility timeout.
      status.lastError = `function error: ${describe(result.error, result.payload)}`;
      status.lastErrorAt = clock.now();
      log.info({ messages: batch.length }, 'queue batch failed in the function; messages return after the visibility timeout');
      return;
    }
    let done = batch;
    if (spec.source.reportBatchItemFailures) {
      const failed = failedItems(result.payload, batch);
      if (failed === 'all') {
        status.lastError = 'invalid batchItemFailures response: the whole batch is retried';
        status.lastErrorAt = clock.now();
        return;
      }
      const held = spec.source.queue.endsWith('.fifo') ? withRestOfGroup(failed, batch) : failed;
      done = batch.filter((message) => !held.has(message.messageId));
    }
    if (done.length === 0) return;
    const results = await service.deleteMessages(appId, spec.source.queue, done.map((message) => message.receiptHandle));
    status.processed += results.filter((r) => r.ok).length;
  }

  return {
    async sync(appId, mappings) {
      const current = apps.get(appId) ?? new Map<string, Poller>();
      apps.set(appId, current);
      const wanted = new Map(mappings.map((spec) => [`${spec.functionName}\u0000${spec.source.queue}`, spec]));
      const stopping: Array<Promise<void>> = [];
      for (const [key, poller] of current) {
        const spec = wanted.get(key);
        if (spec !== undefined && JSON.stringify(spec) === poller.fingerprint) continue;
        poller.controller.abort();
        stopping.push(poller.done);
        current.delete(key);
      }
      await Promise.all(stopping);
      for (const [key, spec] of wanted) {
        if (!current.has(key)) current.set(key, start(appId, spec));
      }
      if (current.size === 0) apps.delete(appId);
    },

    status(appId) {
      return [...(apps.get(appId)?.values() ?? [])].map((poller) => ({ ...poller.status }));
    },

    async stop() {
      const all = [...apps.values()].flatMap((pollers) => [...pollers.values()]);
      apps.clear();
      for (const poller of all) poller.controller.abort();
      await Promise.all(all.map((poller) => poller.done));
    },
  };
}

/**
 * The messages a ReportBatchItemFailures response names, or 'all' when the response is not one
 * Lambda accepts (then the whole batch counts as failed).
 */
export function failedItems(payload: Buffer, batch: ReceivedMessage[]): Set<string> | 'all' {
  const text = payload.toString('utf8').trim();
  if (text === '' || text === 'null') return new Set();
  let response: unknown;
  try {
    response = JSON.parse(text);
  } catch {
    return 'all';
  }
  if (response === null || typeof response !== 'object') return new Set();
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return 'all';
  const ids = new Set(batch.map((message) => message.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}

/**
 * A FIFO group must not skip ahead: a failed message keeps every later message of its group in
 * the batch from being deleted, so they all come back, in order, after the visibility timeout.
 */
export function withRestOfGroup(failed: Set<string>, batch: ReceivedMessage[]): Set<string> {
  const held = new Set(failed);
  const stopped = new Set<string>();
  for (const message of batch) {
    const group = message.fifo?.groupId;
    if (group === undefined) continue;
    if (stopped.has(group)) held.add(message.messageId);
    else if (failed.has(message.messageId)) stopped.add(group);
  }
  return held;
}

function describe(error: unknown, payload: Buffer): string {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { errorType?: string; errorMessage?: string };
    if (parsed.errorMessage !== undefined) return `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage}`;
  } catch {
    // Not JSON: fall back to the error itself.
  }
  return error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
