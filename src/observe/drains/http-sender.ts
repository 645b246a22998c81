// The sender of https:// drains: JSON lines POSTed in batches (application/x-ndjson), one
// request at a time so batches arrive in order. A batch goes when it has `batchLines` lines or
// its first line is `flushMs` old. A failed batch (network error, timeout, 408, 429, 5xx) is
// retried with back-off, unchanged and before any newer line; an endpoint that refuses it for
// good (any other 4xx) makes the drain give those lines up, counted as dropped.
import type { DrainSender, DrainState, SenderOptions, SenderStatus } from './sender.ts';
import { backoffDelay, errorText, waitUntil } from './sender.ts';

export interface HttpBatchOptions {
  /** Send as soon as this many lines wait (default 1000). */
  batchLines: number;
  /** Send at most this long after the first waiting line (default 500 ms). */
  flushMs: number;
  /** Give up on one request after this long and retry (default 10 s). */
  timeoutMs: number;
}

export interface HttpSenderOptions extends SenderOptions {
  url: string;
  batch: HttpBatchOptions;
}

interface Batch {
  body: string;
  lines: number;
}

const RETRYABLE = new Set([408, 429]);

/** fetch refuses URLs with credentials: they move to a Basic Authorization header. */
function requestTarget(url: string): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (parsed.username !== '' || parsed.password !== '') {
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
  }
  return { url: parsed.href, headers };
}

export function createHttpSender(options: HttpSenderOptions): DrainSender {
  const { buffer, encode, logger, timers, backoff, batch: limits } = options;
  const target = requestTarget(options.url);
  let state: DrainState = 'connecting';
  let sent = 0;
  let attempt = 0;
  let lastError: string | undefined;
  let held: Batch | null = null;
  let posting = false;
  let cancelTimer: (() => void) | null = null;
  let timerIsImmediate = false;
  let closing = false;
  let closed = false;
  const abort = new AbortController();
  let idle: { check(): void } | null = null;

  function schedule(delay: number): void {
    cancelTimer?.();
    timerIsImmediate = delay === 0;
    cancelTimer = timers.set(() => {
      cancelTimer = null;
      timerIsImmediate = false;
      void post();
    }, delay);
  }

  function nextBatch(): Batch | null {
    if (held !== null) return held;
    if (buffer.length === 0) return null;
    const entries = buffer.take(limits.batchLines);
    let body = '';
    for (const entry of entries) body += encode(entry);
    held = { body, lines: entries.length };
    return held;
  }

  async function post(): Promise<void> {
    if (posting || closed) return;
    const batch = nextBatch();
    if (batch === null) {
      idle?.check();
      return;
    }
    posting = true;
    let retry = false;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: target.headers,
        body: batch.body,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(limits.timeoutMs)]),
      });
      // Read the answer through so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        sent += batch.lines;
        held = null;
        attempt = 0;
        state = 'connected';
      } else if (response.status >= 500 || RETRYABLE.has(response.status)) {
        lastError = `HTTP ${response.status} ${response.statusText}`;
        retry = true;
      } else {
        lastError = `HTTP ${response.status} ${response.statusText}; ${batch.lines} lines given up`;
        logger.warn({ status: response.status, lines: batch.lines }, 'drain endpoint refused a batch');
        held = null;
        state = 'connected';
        options.onGiveUp(batch.lines);
      }
    } catch (error) {
      lastError = errorText(error);
      retry = true;
    } finally {
      posting = false;
    }
    if (closed) return;
    if (retry) {
      if (closing) {
        state = 'backing-off';
        idle?.check();
        return;
      }
      const delay = backoffDelay(attempt, backoff);
      if (state !== 'backing-off') logger.warn({ error: lastError, retryInMs: delay }, 'drain POST failed');
      attempt += 1;
      state = 'backing-off';
      schedule(delay);
      return;
    }
    idle?.check();
    if (closing || buffer.length >= limits.batchLines) void post();
    else if (buffer.length > 0) schedule(limits.flushMs);
  }

  return {
    status(): SenderStatus {
      return { state, sent, inFlight: held?.lines ?? 0, ...(lastError === undefined ? {} : { lastError }) };
    },

    notify(): void {
      if (posting || state === 'backing-off' || closed) return;
      if (buffer.length >= limits.batchLines) {
        // Still synchronous for the caller: the POST starts on a later turn.
        if (!timerIsImmediate) schedule(0);
      } else if (cancelTimer === null) {
        schedule(limits.flushMs);
      }
    },

    async close(graceMs: number): Promise<void> {
      if (closing || closed) return;
      closing = true;
      cancelTimer?.();
      cancelTimer = null;
      if (state !== 'backing-off') {
        const wait = waitUntil(() => (!posting && buffer.length === 0 && held === null) || (!posting && state === 'backing-off'), graceMs);
        idle = wait;
        void post();
        await wait.promise;
      }
      closed = true;
      abort.abort();
    },
  };
}
