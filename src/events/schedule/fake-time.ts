// A fake clock and timers for the scheduler's and the async dispatcher's tests: time moves only
// when a test advances it, and timers due by then fire (on the next turn of the event loop).
import type { Clock } from '../../core/ports.ts';
import type { Timers } from '../../core/schedules.ts';

export interface FakeTime extends Clock, Timers {
  /** Moves the clock forward and fires the timers due by then. */
  advance(ms: number): void;
  /** Sets the clock to an absolute time (never backwards) and fires the timers due. */
  advanceTo(ms: number): void;
  /** Timers waiting for the clock. */
  pending(): number;
  /** Resolves once a timer is waiting for a later time (e.g. a retry's back-off). */
  waitForTimer(): Promise<void>;
}

export function createFakeTime(startMs: number): FakeTime {
  let now = startMs;
  let timers: Array<{ due: number; fn: () => void }> = [];
  let waiters: Array<() => void> = [];

  const fireDue = () => {
    const due = timers.filter((timer) => timer.due <= now).sort((a, b) => a.due - b.due);
    timers = timers.filter((timer) => timer.due > now);
    for (const timer of due) setImmediate(timer.fn);
  };

  return {
    now: () => now,
    monotonic: () => now,
    set(fn, ms) {
      const timer = { due: now + Math.max(0, ms), fn };
      if (timer.due <= now) {
        const immediate = setImmediate(fn);
        return () => clearImmediate(immediate);
      }
      timers.push(timer);
      for (const wake of waiters) wake();
      waiters = [];
      return () => {
        timers = timers.filter((other) => other !== timer);
      };
    },
    advance(ms) {
      now += ms;
      fireDue();
    },
    advanceTo(ms) {
      now = Math.max(now, ms);
      fireDue();
    },
    pending: () => timers.length,
    waitForTimer() {
      if (timers.length > 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}
