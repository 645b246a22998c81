// wrk as a load generator: one run at a fixed number of keep-alive connections for a fixed time,
// read back as numbers through a Lua script (wrk's own summary is text). wrk's latency histogram
// records microseconds, fine enough for sub-millisecond percentiles.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { round } from './stats.ts';

const execFileAsync = promisify(execFile);
const MARKER = 'WRK_RESULT ';

// Each wrk thread has its own Lua state: setup() keeps the threads so done() can add up their
// counts. Defining response() makes wrk parse every response, which costs it a little speed,
// but it is the only way to see 1xx and 3xx: wrk itself counts only statuses above 399.
const SCRIPT = `
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do non2xx = non2xx + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    '${MARKER}{"requests":%d,"durationUs":%d,"bytes":%d,"non2xx":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"latencyUs":{"mean":%.3f,"min":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\\n',
    summary.requests, summary.duration, summary.bytes, non2xx,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency.min, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
`;

/** Socket-level failures wrk saw, and `status`: its own count of responses above 399. */
export interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
  status: number;
}

export interface WrkRun {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  /** Responses whose status was outside 200–299. */
  non2xx: number;
  /** connect + read + write + timeout: requests that got no response at all. */
  socketErrors: number;
  errors: WrkErrors;
  latencyMs: { mean: number; min: number; p50: number; p90: number; p99: number; max: number };
}

export interface WrkOptions {
  wrk: string;
  url: string;
  connections: number;
  seconds: number;
  /** A directory for the Lua script. */
  scratchDir: string;
}

interface RawResult {
  requests: number;
  durationUs: number;
  non2xx: number;
  errors: WrkErrors;
  latencyUs: Record<'mean' | 'min' | 'p50' | 'p90' | 'p99' | 'max', number>;
}

/** The version line of `wrk -v` (which exits 1 after printing it). */
export async function wrkVersion(wrk: string): Promise<string> {
  const out = await execFileAsync(wrk, ['-v']).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return /^wrk\s+(\S+)/m.exec(out.stdout)?.[1] ?? 'unknown';
}

/**
 * One wrk run on a single thread: on a 2-core machine a second wrk thread would only take CPU
 * from the server under test, and one thread keeps 16 connections busy with room to spare.
 */
export async function runWrk(options: WrkOptions): Promise<WrkRun> {
  const { wrk, url, connections, seconds, scratchDir } = options;
  const script = path.join(scratchDir, 'wrk-result.lua');
  writeFileSync(script, SCRIPT);
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url];
  const { stdout } = await execFileAsync(wrk, args, { timeout: (seconds + 30) * 1000 });
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (line === undefined) throw new Error(`wrk printed no result: ${stdout.trim().slice(-400)}`);
  const raw = JSON.parse(line.slice(MARKER.length)) as RawResult;
  const elapsed = raw.durationUs / 1e6;
  const ms = (us: number): number => round(us / 1000);
  const { connect, read, write, timeout } = raw.errors;
  return {
    connections,
    seconds: round(elapsed),
    requests: raw.requests,
    requestsPerSecond: Math.round(raw.requests / elapsed),
    non2xx: raw.non2xx,
    socketErrors: connect + read + write + timeout,
    errors: raw.errors,
    latencyMs: {
      mean: ms(raw.latencyUs.mean),
      min: ms(raw.latencyUs.min),
      p50: ms(raw.latencyUs.p50),
      p90: ms(raw.latencyUs.p90),
      p99: ms(raw.latencyUs.p99),
      max: ms(raw.latencyUs.max),
    },
  };
}
