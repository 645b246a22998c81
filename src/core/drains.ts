// The log drains model and its storage port (logs-and-metrics issue): an app ships every log
// line and platform event to its drains (a TCP log stack, a syslog server, an HTTPS endpoint).

/** The streams a log entry comes from (the same set as the log service's LogEntry.stream). */
export type DrainEntryStream = 'stdout' | 'stderr' | 'platform' | 'event';

/**
 * What a drain needs of a log entry; the log service's LogEntry is assignable to it, so the
 * integrator can hand `logs.subscribe` entries straight to `DrainManager.deliver`.
 */
export interface DrainEntry {
  id: number;
  /** Milliseconds since the Unix epoch. */
  time: number;
  appId: string;
  function: string | null;
  release: number | null;
  requestId: string | null;
  stream: DrainEntryStream;
  type: string | null;
  line: string;
}

/**
 * The entry type of the platform event that reports a drain's dropped lines. Such an event
 * never pushes another line out of a full drain buffer (it is skipped there, uncounted), so a
 * drain that stays down does not feed itself one "dropped 1 line" event per second forever.
 */
export const DRAIN_EVENT_TYPE = 'drain';

/** A drain as stored: one URL of one app. */
export interface Drain {
  id: string;
  appId: string;
  /** The canonical URL (as parseDrainUrl returns it); unique per app. */
  url: string;
  createdAt: number;
}

/** Storage of log drains; adapters live in src/storage. */
export interface DrainStore {
  /**
   * Stores the app's drain for `url`; when the app has it already, nothing changes and the
   * stored one comes back with `created: false`. ERR_APP_NOT_FOUND when the app is gone.
   */
  add(appId: string, url: string, now: number): Promise<{ drain: Drain; created: boolean }>;
  /** Forgets the app's drain for `url`; false when there was none. */
  remove(appId: string, url: string): Promise<boolean>;
  /** The app's drains, oldest first. */
  list(appId: string): Promise<Drain[]>;
  /** Every app's drains, oldest first (what a starting server resumes). */
  listAll(): Promise<Drain[]>;
}
