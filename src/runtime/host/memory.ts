import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Memory measurement and enforcement for one environment's processes. */
export interface MemoryHandle {
  /** The measured peak since the environment started, in MB (never the configured size). */
  peakMB(): number;
  /** True once the limit killed (or had to kill) the environment. */
  oomKilled(): boolean;
  /** Every process the environment owns, as far as this guard can see. */
  pids(): number[];
  release(): void;
}

export type MemoryEnforcement = 'auto' | 'cgroup' | 'watchdog';

export interface MemoryGuard {
  readonly mode: 'cgroup' | 'watchdog';
  attach(pid: number, limitMB: number, onExceeded: () => void): MemoryHandle;
  close(): void;
}

const MB = 1024 * 1024;

/**
 * Peak readings are at most this old. Reading the figures costs two file reads (~70 µs), a
 * third of the platform's own time per warm invocation; the peak only grows, so a reading a
 * few milliseconds old is a lower bound that the next one catches up.
 */
const PEAK_REFRESH_MS = 100;

/** Runs `read` when the last run is older than PEAK_REFRESH_MS. */
function throttled(read: () => void): () => void {
  let readAt = Number.NEGATIVE_INFINITY;
  return () => {
    const now = performance.now();
    if (now - readAt < PEAK_REFRESH_MS) return;
    readAt = now;
    read();
  };
}

/** VmHWM (peak) and VmRSS (now) of one process, in bytes; zero once it has gone. */
export function readProcessMemory(pid: number): { peak: number; rss: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (field: string): number => {
      const at = status.indexOf(field);
      return at === -1 ? 0 : Number.parseInt(status.slice(at + field.length + 1), 10) * 1024;
    };
    return { peak: kb('VmHWM:'), rss: kb('VmRSS:') };
  } catch {
    return { peak: 0, rss: 0 };
  }
}

/**
 * Polls the resident set of each environment's main process and kills it past its limit.
 * Used where the platform may not create cgroups; it sees only the main process.
 */
function createWatchdogGuard(intervalMs: number): MemoryGuard {
  const watched = new Set<{ check(): void }>();
  const timer = setInterval(() => {
    for (const entry of watched) entry.check();
  }, intervalMs);
  timer.unref();

  return {
    mode: 'watchdog',
    attach(pid, limitMB, onExceeded) {
      let peak = 0;
      let killed = false;
      const entry = {
        check(): void {
          const { peak: hwm, rss } = readProcessMemory(pid);
          peak = Math.max(peak, hwm, rss);
          if (!killed && rss > limitMB * MB) {
            killed = true;
            onExceeded();
          }
        },
      };
      watched.add(entry);
      const refresh = throttled(() => entry.check());
      return {
        peakMB: () => {
          refresh();
          return Math.ceil(peak / MB);
        },
        oomKilled: () => killed,
        pids: () => [pid],
        release: () => watched.delete(entry),
      };
    },
    close: () => clearInterval(timer),
  };
}

/** This process's own memory cgroup (v1), if the kernel exposes one we may write to. */
function findCgroupV1Root(): string | undefined {
  try {
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((entry) => entry.split(':')[1]?.split(',').includes('memory'));
    if (line === undefined) return undefined;
    const own = path.join('/sys/fs/cgroup/memory', line.split(':')[2] ?? '/');
    // One root per guard, not per process: several engines in one process (tests, `dev` next to
    // `server`) would otherwise hand out the same env-N directories.
    const root = path.join(own, `laambda-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(root, { recursive: true });
    return root;
  } catch {
    return undefined;
  }
}

/** A memory cgroup per environment: the kernel enforces the limit and measures the peak. */
function createCgroupV1Guard(root: string): MemoryGuard {
  let next = 0;
  const groups = new Set<string>();
  return {
    mode: 'cgroup',
    attach(pid, limitMB) {
      const dir = path.join(root, `env-${++next}`);
      mkdirSync(dir);
      groups.add(dir);
      writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limitMB * MB));
      writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
      const read = (file: string): string => {
        try {
          return readFileSync(path.join(dir, file), 'utf8');
        } catch {
          return '';
        }
      };
      let peak = 0;
      // The cgroup charges only pages the environment faulted in first; the resident peak of
      // its main process also counts the shared runtime pages, as Lambda's figure does.
      const refresh = throttled(() => {
        const charged = Number.parseInt(read('memory.max_usage_in_bytes'), 10) || 0;
        peak = Math.max(peak, charged, readProcessMemory(pid).peak);
      });
      return {
        peakMB: () => {
          refresh();
          return Math.ceil(peak / MB);
        },
        oomKilled: () => /oom_kill [1-9]/.test(read('memory.oom_control')),
        pids: () =>
          read('cgroup.procs')
            .split('\n')
            .filter(Boolean)
            .map(Number),
        release: () => {
          try {
            rmdirSync(dir);
            groups.delete(dir);
          } catch {
            // processes still exiting: close() tries again
          }
        },
      };
    },
    close() {
      for (const dir of [...groups, root]) {
        try {
          rmdirSync(dir);
        } catch {
          // still busy or already gone; the kernel frees empty cgroups with their parent
        }
      }
    },
  };
}

/** Picks cgroups where the platform may create them, else the RSS watchdog. */
export function createMemoryGuard(enforcement: MemoryEnforcement, watchdogIntervalMs = 50): MemoryGuard {
  if (enforcement !== 'watchdog' && process.platform === 'linux') {
    const root = findCgroupV1Root();
    if (root !== undefined) return createCgroupV1Guard(root);
    if (enforcement === 'cgroup') throw new Error('memory cgroups are not writable here');
  }
  return createWatchdogGuard(watchdogIntervalMs);
}
