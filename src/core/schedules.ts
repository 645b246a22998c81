// Schedules (EventBridge-style rules on functions) and the timers that drive them and async retries.

/** Identifies one schedule: a function's expression within an app. */
export interface ScheduleKey {
  appId: string;
  functionName: string;
  expression: string;
}

/** What the platform remembers of a schedule so each tick fires once, across restarts too. */
export interface ScheduleState extends ScheduleKey {
  /** When the schedule was first seen: rate() ticks count from it, as EventBridge counts from the rule's creation. */
  anchorAt: number;
  enabled: boolean;
  /** The last tick handled: fired, or passed over while the schedule was disabled. */
  lastTickAt: number | null;
  /** The last tick actually fired. */
  lastFiredAt: number | null;
}

/** Storage of schedule state; adapters live in src/storage. */
export interface ScheduleStore {
  /**
   * The stored state of each key, creating missing ones with `anchorAt = now`; stores `enabled`
   * and returns the state as it was before (with `enabled` as previously stored).
   */
  upsert(key: ScheduleKey, enabled: boolean, now: number): Promise<ScheduleState>;
  /** Records a handled tick; never moves `lastTickAt` backwards. */
  recordTick(key: ScheduleKey, tickAt: number, fired: boolean): Promise<void>;
  /** Every schedule of an app, by function name then expression. */
  list(appId: string): Promise<ScheduleState[]>;
  /** Forgets the app's schedules that are not in `keep` (a redeploy dropped them); returns how many. */
  prune(appId: string, keep: readonly ScheduleKey[]): Promise<number>;
}

/** One-shot timers, injectable so tests can run time forward instantly. */
export interface Timers {
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  set(fn: () => void, ms: number): () => void;
}

// setTimeout fires at once for delays past 2^31-1 ms; callers re-check the time when woken.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Real timers; they do not keep the process alive. */
export const realTimers: Timers = {
  set(fn, ms) {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMEOUT_MS));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
