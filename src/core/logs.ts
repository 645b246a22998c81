// The log lines and platform events model and its storage port (logs-and-metrics issue).
// Every function line and every platform event of an app is one LogEntry; ids ascend in the
// order the log service accepted them, so "after id N" is a stable cursor for history + tail.

/**
 * Where a line came from: the function's stdout/stderr, the platform's START/END/REPORT lines
 * of an invocation, or a platform event (deploy, build, config, scale, throttle, …).
 */
export const LOG_STREAMS = ['stdout', 'stderr', 'platform', 'event'] as const;
export type LogEntryStream = (typeof LOG_STREAMS)[number];

/** One stored log line. */
export interface LogEntry {
  /** Ascending in order of acceptance; unique per data dir. */
  id: number;
  /** Milliseconds since the Unix epoch. */
  time: number;
  appId: string;
  /** The Procfile name of the function; null for app-level events. */
  function: string | null;
  /** The release the line was produced under; null when none applies. */
  release: number | null;
  requestId: string | null;
  stream: LogEntryStream;
  /** For stream 'event': 'deploy', 'build', 'config', 'release', 'scale', 'throttle', 'timeout', 'crash', 'drain', …; else null. */
  type: string | null;
  line: string;
}

/** What a writer hands the log service: id and time are filled in when missing. */
export interface NewLogEntry {
  appId: string;
  line: string;
  stream: LogEntryStream;
  time?: number;
  function?: string | null;
  release?: number | null;
  requestId?: string | null;
  type?: string | null;
}

/** A selection of one app's lines. */
export interface LogFilter {
  appId: string;
  function?: string;
  requestId?: string;
  /** Lines at or after this time (ms). */
  since?: number;
  /** Lines before this time (ms). */
  until?: number;
  /** Case-insensitive substring (ASCII letters fold); `%` and `_` are literal. */
  grep?: string;
  /** Lines with a greater id only (resume after a line already seen). */
  afterId?: number;
  /** The newest `limit` matching lines, returned oldest first. Default LOG_QUERY_DEFAULT_LIMIT. */
  limit?: number;
}

export const LOG_QUERY_DEFAULT_LIMIT = 1000;
export const LOG_QUERY_MAX_LIMIT = 100_000;

/** Storage of log lines and platform events; adapters live in src/storage. */
export interface LogStore {
  /** Stores the entries (ids already assigned, ascending) in one transaction. */
  append(entries: readonly LogEntry[]): Promise<void>;
  /** The newest `limit` matching lines, oldest first. */
  query(filter: LogFilter): Promise<LogEntry[]>;
  /** The greatest id stored, 0 when none: where a restarted log service continues. */
  lastId(): Promise<number>;
  /** Deletes lines older than `time` (ms); returns how many went. */
  deleteOlderThan(time: number): Promise<number>;
  /** For every app over `maxBytes` of line text, deletes its oldest lines until under; returns how many went. */
  capBytesPerApp(maxBytes: number): Promise<number>;
  /** Bytes of line text stored per app id. */
  usage(): Promise<Map<string, { bytes: number; lines: number }>>;
}

/** UTF-8 size of a line, as the per-app size cap counts it. */
export function lineBytes(line: string): number {
  // Most lines are ASCII: their length is their byte count, and checking is cheaper than encoding.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(line) ? line.length : Buffer.byteLength(line, 'utf8');
}

/**
 * Lower-cases ASCII letters only, as SQLite's lower() does: the store's grep and a live
 * subscriber's grep must agree on which lines match.
 */
export function foldAscii(text: string): string {
  return /[A-Z]/.test(text) ? text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : text;
}

/** Whether an entry passes a filter (the live-tail twin of LogStore.query's WHERE clause). */
export function matchesLogFilter(entry: LogEntry, filter: LogFilter, foldedGrep?: string): boolean {
  if (entry.appId !== filter.appId) return false;
  if (filter.function !== undefined && entry.function !== filter.function) return false;
  if (filter.requestId !== undefined && entry.requestId !== filter.requestId) return false;
  if (filter.since !== undefined && entry.time < filter.since) return false;
  if (filter.until !== undefined && entry.time >= filter.until) return false;
  if (filter.afterId !== undefined && entry.id <= filter.afterId) return false;
  if (filter.grep !== undefined && filter.grep !== '') {
    const needle = foldedGrep ?? foldAscii(filter.grep);
    if (!foldAscii(entry.line).includes(needle)) return false;
  }
  return true;
}
