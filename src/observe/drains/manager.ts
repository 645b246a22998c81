// The drain manager: the stored drains of every app, one sender each, and the one entry point
// the log service feeds. deliver() only appends to in-memory ring buffers, so a drain that is
// slow or down never slows an invocation; what overflows is dropped oldest-first and reported.
import type { DrainEntry, DrainStore } from '../../core/drains.ts';
import { LaambdaError } from '../../core/errors.ts';
import type { Clock, Logger } from '../../core/ports.ts';
import { silentLogger, systemClock } from '../../core/ports.ts';
import type { Timers } from '../../core/schedules.ts';
import { realTimers } from '../../core/schedules.ts';
import { DrainBuffer } from './buffer.ts';
import { formatJsonLine, formatSyslogFrame } from './format.ts';
import type { HttpBatchOptions } from './http-sender.ts';
import { createHttpSender } from './http-sender.ts';
import type { BackoffOptions, DrainSender, DrainState } from './sender.ts';
import { createTcpSender } from './tcp-sender.ts';
import type { DrainTarget } from './url.ts';
import { parseDrainUrl, redactDrainUrl } from './url.ts';

export interface DrainManagerOptions {
  store: DrainStore;
  /** The app's name, for the `app` field and the syslog APP-NAME. Called when lines are sent. */
  appName(appId: string): string;
  /**
   * Lines a drain dropped since the last report (buffer overflow, or a batch an HTTPS endpoint
   * refused for good); at most once per second per drain, never from inside deliver(). The
   * integrator turns it into a platform event (type DRAIN_EVENT_TYPE) and a metric.
   */
  onDropped?(appId: string, url: string, count: number): void;
  logger?: Logger;
  clock?: Clock;
  timers?: Timers;
  /** Lines each drain holds while it cannot send (default 10,000); beyond, the oldest go. */
  bufferLines?: number;
  /** Delay between connection attempts: doubling from minMs (100) to maxMs (5000). */
  backoff?: Partial<BackoffOptions>;
  /** Batching of https:// drains. */
  http?: Partial<HttpBatchOptions>;
}

/** One drain as `drains` shows it. */
export interface DrainStatus {
  url: string;
  state: DrainState;
  /** Lines sent since this server started. */
  sent: number;
  /** Lines waiting, including those being sent. */
  buffered: number;
  /** Lines dropped since this server started. */
  dropped: number;
  /** Why the latest failed attempt failed (kept after a recovery); null if none has (as in DrainView). */
  lastError: string | null;
}

export interface DrainManager {
  /** Stores the app's drain and starts sending to it; the same URL again changes nothing. */
  add(appId: string, url: string): Promise<{ drain: DrainStatus; created: boolean }>;
  /** Stops and forgets the drain (its buffered lines are discarded); ERR_DRAIN_NOT_FOUND. */
  remove(appId: string, url: string): Promise<void>;
  /** The app's drains, oldest first, with how each is doing. */
  list(appId: string): Promise<DrainStatus[]>;
  /** Starts a sender for every stored drain. */
  start(): Promise<void>;
  /** Queues the entry on each of its app's drains. Synchronous, never throws, never waits. */
  deliver(entry: DrainEntry): void;
  /** Stops the senders of an app that was removed (its stored drains went with it). */
  forgetApp(appId: string): Promise<void>;
  /** Flushes what it can within graceMs (default 2000), then closes every connection. */
  close(options?: { graceMs?: number }): Promise<void>;
}

const REPORT_INTERVAL_MS = 1000;

interface Running {
  appId: string;
  url: string;
  buffer: DrainBuffer;
  sender: DrainSender;
  /** Given-up lines (HTTPS refusals); buffer overflows are counted by the buffer. */
  givenUp: number;
  unreported: number;
  lastReportAt: number;
  cancelReport: (() => void) | null;
}

export function createDrainManager(options: DrainManagerOptions): DrainManager {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? realTimers;
  const bufferLines = options.bufferLines ?? 10_000;
  const backoff: BackoffOptions = { minMs: options.backoff?.minMs ?? 100, maxMs: options.backoff?.maxMs ?? 5000 };
  const batch: HttpBatchOptions = {
    batchLines: options.http?.batchLines ?? 1000,
    flushMs: options.http?.flushMs ?? 500,
    timeoutMs: options.http?.timeoutMs ?? 10_000,
  };
  const byApp = new Map<string, Map<string, Running>>();
  let closed = false;
  let started = false;

  function report(running: Running): void {
    running.cancelReport = null;
    running.lastReportAt = clock.now();
    const count = running.unreported;
    if (count === 0) return;
    running.unreported = 0;
    try {
      options.onDropped?.(running.appId, running.url, count);
    } catch (error) {
      logger.error({ err: error, url: redactDrainUrl(running.url) }, 'reporting dropped drain lines failed');
    }
  }

  function dropped(running: Running, count: number): void {
    running.unreported += count;
    if (running.cancelReport !== null || closed) return;
    // A timer even when a report is due now: onDropped must not run inside deliver().
    const delay = Math.max(0, running.lastReportAt + REPORT_INTERVAL_MS - clock.now());
    running.cancelReport = timers.set(() => report(running), delay);
  }

  function encoderFor(target: DrainTarget, appId: string): (entry: DrainEntry) => string {
    const format = target.kind === 'syslog+tcp' ? formatSyslogFrame : formatJsonLine;
    return (entry) => {
      let name: string;
      try {
        name = options.appName(appId);
      } catch {
        name = appId;
      }
      return format(entry, name);
    };
  }

  function run(appId: string, url: string): Running {
    const existing = byApp.get(appId)?.get(url);
    if (existing !== undefined) return existing;
    const target = parseDrainUrl(url);
    const buffer = new DrainBuffer(bufferLines);
    const running: Running = {
      appId,
      url: target.url,
      buffer,
      sender: undefined as unknown as DrainSender,
      givenUp: 0,
      unreported: 0,
      lastReportAt: Number.NEGATIVE_INFINITY,
      cancelReport: null,
    };
    const common = {
      buffer,
      encode: encoderFor(target, appId),
      onGiveUp: (count: number) => {
        running.givenUp += count;
        dropped(running, count);
      },
      logger: logger.child({ appId, drain: redactDrainUrl(target.url) }),
      timers,
      backoff,
    };
    running.sender =
      target.kind === 'https'
        ? createHttpSender({ ...common, url: target.url, batch })
        : createTcpSender({ ...common, host: target.host, port: target.port });
    let drains = byApp.get(appId);
    if (drains === undefined) {
      drains = new Map();
      byApp.set(appId, drains);
    }
    drains.set(target.url, running);
    return running;
  }

  function status(url: string, running: Running | undefined): DrainStatus {
    if (running === undefined) return { url, state: 'connecting', sent: 0, buffered: 0, dropped: 0, lastError: null };
    const sender = running.sender.status();
    return {
      url,
      state: sender.state,
      sent: sender.sent,
      buffered: running.buffer.length + sender.inFlight,
      dropped: running.buffer.dropped + running.givenUp,
      lastError: sender.lastError ?? null,
    };
  }

  async function stop(running: Running, graceMs: number): Promise<void> {
    const drains = byApp.get(running.appId);
    drains?.delete(running.url);
    if (drains?.size === 0) byApp.delete(running.appId);
    await running.sender.close(graceMs);
    running.cancelReport?.();
    report(running);
  }

  function canonical(url: string): string {
    try {
      return parseDrainUrl(url).url;
    } catch {
      return url.trim();
    }
  }

  return {
    async add(appId, url) {
      const target = parseDrainUrl(url);
      const { created } = await options.store.add(appId, target.url, clock.now());
      const running = closed ? undefined : run(appId, target.url);
      if (created) logger.info({ appId, drain: redactDrainUrl(target.url) }, 'drain added');
      return { drain: status(target.url, running), created };
    },

    async remove(appId, url) {
      const key = canonical(url);
      const removed = await options.store.remove(appId, key);
      const running = byApp.get(appId)?.get(key);
      if (running !== undefined) await stop(running, 0);
      if (!removed) throw new LaambdaError('ERR_DRAIN_NOT_FOUND', `The app has no drain ${key}`);
      logger.info({ appId, drain: redactDrainUrl(key) }, 'drain removed');
    },

    async list(appId) {
      const drains = await options.store.list(appId);
      return drains.map((drain) => status(drain.url, byApp.get(appId)?.get(drain.url)));
    },

    async start() {
      if (started || closed) return;
      started = true;
      for (const drain of await options.store.listAll()) {
        try {
          run(drain.appId, drain.url);
        } catch (error) {
          // A URL stored under older rules: keep it listed, but say why it does not run.
          logger.error({ err: error, appId: drain.appId, drain: redactDrainUrl(drain.url) }, 'stored drain not started');
        }
      }
    },

    deliver(entry) {
      const drains = byApp.get(entry.appId);
      if (drains === undefined) return;
      for (const running of drains.values()) {
        const pushedOut = running.buffer.push(entry);
        if (pushedOut > 0) dropped(running, pushedOut);
        running.sender.notify();
      }
    },

    async forgetApp(appId) {
      const drains = byApp.get(appId);
      if (drains === undefined) return;
      await Promise.all([...drains.values()].map((running) => stop(running, 0)));
    },

    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      const graceMs = closeOptions.graceMs ?? 2000;
      const all = [...byApp.values()].flatMap((drains) => [...drains.values()]);
      await Promise.all(all.map((running) => stop(running, graceMs)));
    },
  };
}
