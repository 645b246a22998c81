// The log service: every function line and platform event goes through write(), which only
// numbers the line, hands it to live subscribers and buffers it. A timer writes the buffer to
// the store in batches (one transaction each), so an invocation never waits for storage; if
// storage falls behind, the oldest unwritten lines are dropped and counted rather than letting
// memory grow. A sweep enforces retention by age and by size per app, continuously.
import type { Clock, Logger } from '../../core/ports.ts';
import { silentLogger, systemClock } from '../../core/ports.ts';
import { LaambdaError } from '../../core/errors.ts';
import type { LogEntry, LogFilter, LogStore, NewLogEntry } from '../../core/logs.ts';
import { foldAscii, LOG_QUERY_MAX_LIMIT, LOG_STREAMS, matchesLogFilter } from '../../core/logs.ts';

export interface LogRetention {
  /** Lines older than this are deleted by the sweep. Default 7 days. */
  maxAgeMs: number;
  /** An app's oldest lines are deleted while its lines exceed this many bytes. Default 64 MiB. */
  maxBytesPerApp: number;
}

export interface LogServiceOptions {
  store: LogStore;
  clock?: Clock;
  logger?: Logger;
  retention?: Partial<LogRetention>;
  /** How long accepted lines may wait before a batch is written. Default 20 ms. */
  flushIntervalMs?: number;
  /**
   * Most lines per store transaction. Default 500: a batch holds the (synchronous) connection and
   * the event loop for ~3 ms, short enough that a function printing fast never finds its stdout
   * pipe full while the platform writes (bench/logs.ts: 5000 made printing 3× as costly).
   */
  maxBatch?: number;
  /** Most lines waiting to be written; beyond it the oldest are dropped. Default 200,000. */
  maxBuffered?: number;
  /** How often the retention sweep runs; 0 turns the timer off (sweep() still works). Default 60 s. */
  sweepIntervalMs?: number;
}

export interface LogStats {
  /** Lines write() took. */
  accepted: number;
  /** Lines the store holds (as of the last finished batch). */
  written: number;
  /** Lines accepted but never stored: dropped while storage lagged, or lost to a store error. */
  dropped: number;
  /** Lines waiting for (or in) a batch. */
  buffered: number;
}

export interface SweepResult {
  /** Lines deleted for being older than maxAgeMs. */
  expired: number;
  /** Lines deleted to bring apps under maxBytesPerApp. */
  trimmed: number;
}

/** Fields of a platform event beyond its app, type and message. */
export interface LogEventFields {
  function?: string | null;
  release?: number | null;
  requestId?: string | null;
}

export interface LogService {
  /** Accepts a line: synchronous, never throws, never waits. Returns the stored shape (undefined once closed). */
  write(entry: NewLogEntry): LogEntry | undefined;
  /** A platform event line (stream 'event') of an app, e.g. event(appId, 'deploy', 'Deployed release 4'). */
  event(appId: string, type: string, message: string, fields?: LogEventFields): LogEntry | undefined;
  /** Live lines matching the filter, delivered as write() accepts them; returns the unsubscribe function. */
  subscribe(filter: LogFilter, onEntry: (entry: LogEntry) => void): () => void;
  /** Stored lines (everything accepted so far included): the newest `limit`, oldest first. */
  query(filter: LogFilter): Promise<LogEntry[]>;
  stats(): LogStats;
  /** Resolves once every line accepted before the call is stored (or dropped). */
  flush(): Promise<void>;
  /** Applies retention now. */
  sweep(): Promise<SweepResult>;
  /** Stops the timers and flushes; later writes are dropped. */
  close(): Promise<void>;
}

export const DEFAULT_LOG_RETENTION: LogRetention = { maxAgeMs: 7 * 24 * 60 * 60 * 1000, maxBytesPerApp: 64 * 1024 * 1024 };

interface Subscriber {
  filter: LogFilter;
  grep: string | undefined;
  onEntry: (entry: LogEntry) => void;
}

interface Waiter {
  target: number;
  resolve: () => void;
}

const STREAMS: ReadonlySet<string> = new Set(LOG_STREAMS);

/** Starts a log service over the store; ids continue after the store's last one. */
export async function createLogService(options: LogServiceOptions): Promise<LogService> {
  const lastId = await options.store.lastId();
  return new BufferedLogService(options, lastId);
}

class BufferedLogService implements LogService {
  readonly #store: LogStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #retention: LogRetention;
  readonly #flushIntervalMs: number;
  readonly #maxBatch: number;
  readonly #maxBuffered: number;
  readonly #subscribers = new Set<Subscriber>();
  readonly #waiters: Waiter[] = [];

  // Unwritten lines are #pending[#head…]; dropping the oldest is `#head++`, not a shift.
  #pending: Array<LogEntry | undefined> = [];
  #head = 0;
  #inFlight = 0;
  #lastId: number;
  /** Every id up to this one is stored or dropped. */
  #handledUpTo: number;
  #accepted = 0;
  #written = 0;
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #draining = false;
  #sweeping: Promise<SweepResult> | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #lastFailureLog = 0;

  constructor(options: LogServiceOptions, lastId: number) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#retention = { ...DEFAULT_LOG_RETENTION, ...options.retention };
    this.#flushIntervalMs = options.flushIntervalMs ?? 20;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.#maxBuffered = Math.max(1, options.maxBuffered ?? 200_000);
    this.#lastId = lastId;
    this.#handledUpTo = lastId;
    const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    if (sweepIntervalMs > 0) {
      this.#sweepTimer = setInterval(() => {
        this.sweep().catch((error: unknown) => this.#logger.error({ err: error }, 'log retention sweep failed'));
      }, sweepIntervalMs);
      this.#sweepTimer.unref();
    }
  }

  write(input: NewLogEntry): LogEntry | undefined {
    if (this.#closed) {
      this.#dropped += 1;
      return undefined;
    }
    let entry: LogEntry;
    try {
      entry = this.#accept(input);
    } catch (error) {
      // A malformed line from a caller's bug must not fail an invocation: count it and go on.
      this.#dropped += 1;
      this.#logger.warn({ err: error }, 'log line refused');
      return undefined;
    }
    if (this.#subscribers.size > 0) this.#publish(entry);
    this.#pending.push(entry);
    if (this.#pending.length - this.#head > this.#maxBuffered) {
      this.#pending[this.#head] = undefined;
      this.#head += 1;
      this.#dropped += 1;
    }
    this.#schedule();
    return entry;
  }

  #accept(input: NewLogEntry): LogEntry {
    if (typeof input.appId !== 'string' || typeof input.line !== 'string' || !STREAMS.has(input.stream)) {
      throw new TypeError(`not a log line: appId ${typeof input.appId}, line ${typeof input.line}, stream ${String(input.stream)}`);
    }
    this.#lastId += 1;
    this.#accepted += 1;
    return {
      id: this.#lastId,
      time: input.time ?? this.#clock.now(),
      appId: input.appId,
      function: input.function ?? null,
      release: input.release ?? null,
      requestId: input.requestId ?? null,
      stream: input.stream,
      type: input.type ?? null,
      line: input.line,
    };
  }

  event(appId: string, type: string, message: string, fields: LogEventFields = {}): LogEntry | undefined {
    return this.write({ appId, stream: 'event', type, line: message, ...fields });
  }

  #publish(entry: LogEntry): void {
    for (const subscriber of this.#subscribers) {
      if (!matchesLogFilter(entry, subscriber.filter, subscriber.grep)) continue;
      try {
        subscriber.onEntry(entry);
      } catch (error) {
        this.#logger.warn({ err: error }, 'log subscriber failed');
      }
    }
  }

  subscribe(filter: LogFilter, onEntry: (entry: LogEntry) => void): () => void {
    const grep = filter.grep === undefined || filter.grep === '' ? undefined : foldAscii(filter.grep);
    const subscriber: Subscriber = { filter: { ...filter }, grep, onEntry };
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  #schedule(): void {
    if (this.#draining) return;
    if (this.#pending.length - this.#head >= this.#maxBatch) {
      // A full batch is waiting: write it on the next turn rather than after the interval.
      if (this.#immediate === undefined) {
        this.#immediate = setImmediate(() => {
          this.#immediate = undefined;
          void this.#drain();
        });
      }
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.#drain();
      }, this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  #take(): LogEntry[] {
    const end = Math.min(this.#pending.length, this.#head + this.#maxBatch);
    const batch = this.#pending.slice(this.#head, end) as LogEntry[];
    this.#head = end;
    if (this.#head === this.#pending.length) {
      this.#pending = [];
      this.#head = 0;
    } else if (this.#head > 65_536 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      while (this.#pending.length > this.#head) {
        const batch = this.#take();
        this.#inFlight = batch.length;
        try {
          await this.#store.append(batch);
          this.#written += batch.length;
        } catch (error) {
          this.#dropped += batch.length;
          this.#reportFailure(error, batch.length);
        }
        this.#inFlight = 0;
        this.#handledUpTo = batch[batch.length - 1]?.id ?? this.#handledUpTo;
        this.#settleWaiters();
        // Let I/O (invocations, sockets) run between batches of a long backlog.
        if (this.#pending.length > this.#head) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#draining = false;
      this.#settleWaiters();
      if (this.#pending.length > this.#head) this.#schedule();
    }
  }

  #reportFailure(error: unknown, lines: number): void {
    const now = this.#clock.monotonic();
    // Once a second at most: a broken disk would otherwise log once per batch.
    if (now - this.#lastFailureLog < 1000) return;
    this.#lastFailureLog = now;
    this.#logger.error({ err: error, lines }, 'log lines could not be stored and were dropped');
  }

  #settleWaiters(): void {
    // Nothing pending or in flight: every accepted id is handled (dropped ones included).
    if (this.#pending.length === this.#head && this.#inFlight === 0) this.#handledUpTo = this.#lastId;
    for (let index = this.#waiters.length - 1; index >= 0; index -= 1) {
      const waiter = this.#waiters[index];
      if (waiter !== undefined && waiter.target <= this.#handledUpTo) {
        this.#waiters.splice(index, 1);
        waiter.resolve();
      }
    }
  }

  flush(): Promise<void> {
    const target = this.#lastId;
    if (this.#handledUpTo >= target) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#waiters.push({ target, resolve }));
    void this.#drain();
    return done;
  }

  async query(filter: LogFilter): Promise<LogEntry[]> {
    if (typeof filter.appId !== 'string' || filter.appId === '') {
      throw new LaambdaError('ERR_LOGS_QUERY_INVALID', 'A log query needs an app');
    }
    const { limit } = filter;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > LOG_QUERY_MAX_LIMIT)) {
      throw new LaambdaError('ERR_LOGS_QUERY_INVALID', `The line limit must be a whole number from 1 to ${LOG_QUERY_MAX_LIMIT}, not ${limit}`);
    }
    await this.flush();
    return this.#store.query(filter);
  }

  stats(): LogStats {
    return {
      accepted: this.#accepted,
      written: this.#written,
      dropped: this.#dropped,
      buffered: this.#pending.length - this.#head + this.#inFlight,
    };
  }

  sweep(): Promise<SweepResult> {
    this.#sweeping ??= this.#runSweep().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #runSweep(): Promise<SweepResult> {
    const expired = await this.#store.deleteOlderThan(this.#clock.now() - this.#retention.maxAgeMs);
    const trimmed = await this.#store.capBytesPerApp(this.#retention.maxBytesPerApp);
    if (expired + trimmed > 0) this.#logger.debug({ expired, trimmed }, 'log retention');
    return { expired, trimmed };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    this.#subscribers.clear();
    await this.flush();
    await this.#sweeping?.catch(() => {});
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
  }
}
