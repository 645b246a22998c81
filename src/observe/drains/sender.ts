// What every kind of drain sender shares: its status, the back-off between attempts, and the
// options the manager hands it.
import type { DrainEntry } from '../../core/drains.ts';
import type { Logger } from '../../core/ports.ts';
import type { Timers } from '../../core/schedules.ts';
import type { DrainBuffer } from './buffer.ts';

export type DrainState = 'connecting' | 'connected' | 'backing-off';

export interface SenderStatus {
  state: DrainState;
  /** Lines handed to the socket (TCP) or accepted with a 2xx (HTTPS). */
  sent: number;
  /** Lines taken from the buffer and not yet confirmed sent (they are sent again on failure). */
  inFlight: number;
  lastError?: string;
}

export interface DrainSender {
  status(): SenderStatus;
  /** The buffer has new lines. Cheap and synchronous: called for every delivered line. */
  notify(): void;
  /** Sends what it can within `graceMs`, then stops for good (sockets destroyed, timers cancelled). */
  close(graceMs: number): Promise<void>;
}

export interface BackoffOptions {
  /** The first retry's delay (ms). */
  minMs: number;
  /** The longest delay between attempts (ms). */
  maxMs: number;
}

export interface SenderOptions {
  buffer: DrainBuffer;
  /** One entry as the drain's wire format (a JSON line, a framed syslog message). */
  encode(entry: DrainEntry): string;
  /** Lines the sender gave up on (an HTTPS endpoint refusing a batch for good). */
  onGiveUp(count: number): void;
  logger: Logger;
  timers: Timers;
  backoff: BackoffOptions;
}

/**
 * The delay before retry number `attempt` (0-based): doubling from minMs up to maxMs, with the
 * upper half jittered so drains that failed together do not all retry at the same instant.
 */
export function backoffDelay(attempt: number, backoff: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(attempt, 30));
  return Math.max(backoff.minMs, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

/** An error's message, for `lastError`. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * Resolves when `done()` turns true (checked on every `check()`), or after `graceMs`. A real,
 * referenced timer: a server shutting down waits for its drains' flush, not past it.
 */
export function waitUntil(done: () => boolean, graceMs: number): { promise: Promise<void>; check(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  let finished = false;
  const timer = setTimeout(() => finish(), graceMs);
  function finish(): void {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    resolve();
  }
  const check = (): void => {
    if (done()) finish();
  };
  check();
  return { promise, check };
}
