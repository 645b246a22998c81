// CPU accounting from /proc over a measurement window: how much the server under test used (per
// request, which says more than requests/s on a shared machine), how much the load generator
// used, and how much other work on the machine took meanwhile.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { round } from './stats.ts';

/** Clock ticks of /proc/stat and /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface Sample {
  machineBusy: number;
  machineTotal: number;
  server: number;
  /** The server's own process, without its children. */
  leader: number;
  /** This process and its reaped children: wrk runs as one. */
  self: number;
}

/** Ticks of user + system time of one process, optionally with its reaped children. */
function processTicks(pid: number | 'self', withChildren: boolean): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name may hold spaces and parentheses: fields count from after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const [utime = 0, stime = 0, cutime = 0, cstime = 0] = fields.slice(11, 15);
  return utime + stime + (withChildren ? cutime + cstime : 0);
}

/** Pids of live processes whose working directory is under `scope`. */
export function processesUnder(scope: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === scope || cwd.startsWith(`${scope}/`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to look at
    }
  }
  return pids;
}

function sample(scope: string, leader: number): Sample {
  const fields = readFileSync('/proc/stat', 'latin1').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  let server = 0;
  let leaderTicks = 0;
  for (const pid of processesUnder(scope)) {
    try {
      server += processTicks(pid, true);
      if (pid === leader) leaderTicks = processTicks(pid, false);
    } catch {
      // exited between the listing and the read
    }
  }
  const self = processTicks('self', true);
  return { machineBusy: total - idle, machineTotal: total, server, leader: leaderTicks, self };
}

/** CPU seconds over one window, all in core-seconds (2 cores give at most 2 per second). */
export interface CpuUse {
  /** The server and its function processes (every process running from the run's temp dir). */
  serverCoreSeconds: number;
  /** Of that, the server's main process: the rest is its function processes. */
  serverMainCoreSeconds: number;
  /** Server CPU time per request: what one request costs the platform. */
  serverMsPerRequest: number;
  /** wrk (and this bench process). */
  loadGeneratorCoreSeconds: number;
  /** Whatever else ran on the machine meanwhile: other people's work skews the window. */
  otherCoreSeconds: number;
  /** Share of all cores busy over the window, from everything. */
  machineBusyShare: number;
}

/**
 * Accounts the CPU used while `work` runs. The server is `pid` and every process with its working
 * directory under `scope`; a process that exits inside the window loses its share.
 */
export async function withCpuUse<T extends { requests: number }>(
  server: { scope: string; pid: number },
  work: () => Promise<T>,
): Promise<T & { cpu: CpuUse }> {
  const before = sample(server.scope, server.pid);
  const result = await work();
  const after = sample(server.scope, server.pid);
  const seconds = (ticks: number): number => round(ticks / TICKS_PER_SECOND, 2);
  const used = after.server - before.server;
  const self = after.self - before.self;
  const busy = after.machineBusy - before.machineBusy;
  return {
    ...result,
    cpu: {
      serverCoreSeconds: seconds(used),
      serverMainCoreSeconds: seconds(after.leader - before.leader),
      serverMsPerRequest: round(((used / TICKS_PER_SECOND) * 1000) / Math.max(1, result.requests)),
      loadGeneratorCoreSeconds: seconds(self),
      otherCoreSeconds: seconds(Math.max(0, busy - used - self)),
      machineBusyShare: round(busy / Math.max(1, after.machineTotal - before.machineTotal), 2),
    },
  };
}
