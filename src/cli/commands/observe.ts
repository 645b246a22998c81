// `logs`, `drains`, `drains:add|remove` and `metrics`: what an app's functions printed and did.
import type { Command } from 'commander';
import type { ApiLogEntry, ApiMetrics } from '../../api/client.ts';
import type { LogFilter } from '../../core/services.ts';
import { table } from '../format.ts';
import { EXIT, paint, type Style, untilStopped } from '../output.ts';
import { type AppFlags, connect, dim, ok, out, printJson, type Run, targetApp, wholeNumber, withApp } from '../platform.ts';

const PALETTE: Style[] = ['cyan', 'green', 'yellow', 'magenta', 'blue', 'redBright', 'greenBright', 'cyanBright'];

/** The same function always gets the same color. */
function colorOf(name: string): Style {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? 'cyan';
}

/** `TIME FUNCTION[vN]: line`, Heroku style; REPORT lines in bold, platform events marked. */
export function formatEntry(entry: ApiLogEntry, stream: NodeJS.WriteStream = process.stdout): string {
  const time = paint(stream, 'dim', entry.time);
  const line = entry.line.replaceAll('\r', '\n    ');
  if (entry.stream === 'event') {
    const where = entry.function === null ? '' : ` ${entry.function}`;
    return `${time} ${paint(stream, 'magenta', `laambda[${entry.type ?? 'event'}]`)}${where}: ${line}\n`;
  }
  const name = entry.function ?? '?';
  const source = paint(stream, colorOf(name), `${name}[${entry.release === null ? '-' : `v${entry.release}`}]`);
  if (entry.stream === 'platform') {
    const styled = line.startsWith('REPORT') ? paint(stream, 'bold', line) : paint(stream, 'dim', line);
    return `${time} ${source}: ${styled}\n`;
  }
  return `${time} ${source}: ${entry.stream === 'stderr' ? paint(stream, 'red', line) : line}\n`;
}

interface LogFlags extends AppFlags {
  function?: string;
  requestId?: string;
  since?: string;
  grep?: string;
  num?: number;
  tail?: boolean;
}

async function logs(flags: LogFlags): Promise<number> {
  const app = await targetApp(flags);
  const filter: LogFilter = {
    ...(flags.function === undefined ? {} : { function: flags.function }),
    ...(flags.requestId === undefined ? {} : { requestId: flags.requestId }),
    ...(flags.since === undefined ? {} : { since: flags.since }),
    ...(flags.grep === undefined ? {} : { grep: flags.grep }),
    ...(flags.num === undefined ? {} : { lines: flags.num }),
  };
  const print = (entry: ApiLogEntry) => out(flags.json ? `${JSON.stringify(entry)}\n` : formatEntry(entry));
  const client = connect();
  if (!flags.tail) {
    for (const entry of await client.logs.query(app, filter)) print(entry);
    return EXIT.ok;
  }
  // History, then live lines until Ctrl-C.
  const stop = new AbortController();
  void untilStopped().then(() => stop.abort());
  for await (const entry of client.logs.tail(app, filter, stop.signal)) print(entry);
  return EXIT.ok;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of values (null: no data that minute). */
export function sparkline(values: Array<number | null>): string {
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  return values.map((v) => (v === null || v === 0 ? (v === null ? ' ' : BARS[0]) : BARS[Math.min(7, Math.floor((v / max) * 7.999))])).join('');
}

function ms(value: number | null): string {
  if (value === null) return '—';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

function printMetrics(app: string, metrics: ApiMetrics): void {
  out(`=== ${app} metrics ${dim(`${metrics.since} → ${metrics.until}`)}\n`);
  if (metrics.functions.length === 0) {
    out('no invocations in this window\n');
    return;
  }
  const rows = metrics.functions.map((f) => [
    f.function,
    String(f.invocations),
    String(f.errors),
    String(f.throttles),
    String(f.timeouts),
    String(f.coldStarts),
    ms(f.p50Ms),
    ms(f.p90Ms),
    ms(f.p99Ms),
    ms(f.billedMs),
    f.maxMemoryMB === null ? '—' : `${Math.round(f.maxMemoryMB)} MB`,
    f.maxConcurrency === null ? '—' : String(f.maxConcurrency),
  ]);
  out(table(['FUNCTION', 'INVOCATIONS', 'ERRORS', 'THROTTLES', 'TIMEOUTS', 'COLD', 'P50', 'P90', 'P99', 'BILLED', 'MAX MEM', 'MAX CONC'], rows, { header: dim }));
  // One column per minute of the window, at most the last 60.
  const start = Date.parse(metrics.since);
  const end = Date.parse(metrics.until);
  const minutes = Math.max(1, Math.min(60, Math.ceil((end - start) / 60_000)));
  // `until` is exclusive: the window's last minute is the one before it.
  const first = Math.ceil(end / 60_000) - minutes;
  out(`\n${dim(`per minute, last ${minutes} min`)}\n`);
  for (const f of metrics.functions) {
    const invocations: Array<number | null> = Array.from({ length: minutes }, () => 0);
    const p99: Array<number | null> = Array.from({ length: minutes }, () => null);
    for (const m of metrics.minutes) {
      if (m.function !== f.function) continue;
      const at = Math.floor(Date.parse(m.minute) / 60_000) - first;
      if (at < 0 || at >= minutes) continue;
      invocations[at] = (invocations[at] ?? 0) + m.invocations;
      p99[at] = m.p99Ms;
    }
    out(`${f.function}\n  invocations ${sparkline(invocations)}  max ${Math.max(0, ...invocations.map((v) => v ?? 0))}/min\n`);
    out(`  p99         ${sparkline(p99)}  max ${ms(Math.max(0, ...p99.map((v) => v ?? 0)) || null)}\n`);
  }
}

export function registerObserve(program: Command, run: Run): void {
  withApp(
    program
      .command('logs')
      .description("show the app's function output and platform events; --tail keeps following")
      .option('-f, --function <name>', 'only this function')
      .option('-r, --request-id <id>', 'only this invocation')
      .option('-s, --since <when>', 'only lines since: 30s, 15m, 1h, 2d or an ISO time')
      .option('-g, --grep <text>', 'only lines containing this text (any case)')
      .option('-n, --num <lines>', 'how many lines of history (default 100)', wholeNumber('the number of lines', 1))
      .option('-t, --tail', 'keep printing new lines as they are written (Ctrl-C stops)'),
    true,
  ).action((flags: LogFlags) => run(() => logs(flags)));
  withApp(program.command('drains').description("list the app's log drains with what they sent, hold and dropped")).action((flags: AppFlags) =>
    run(async () => {
      const app = await targetApp(flags);
      const drains = await connect().drains.list(app);
      if (flags.json) printJson(drains);
      else if (drains.length === 0) out(`${app} has no log drains: laambda drains:add tcp://HOST:PORT\n`);
      else
        out(
          table(
            ['URL', 'STATE', 'SENT', 'BUFFERED', 'DROPPED', 'LAST ERROR'],
            drains.map((d) => [d.url, d.state, String(d.sent), String(d.buffered), String(d.dropped), d.lastError ?? '—']),
            { header: dim },
          ),
        );
      return EXIT.ok;
    }),
  );
  withApp(
    program
      .command('drains:add')
      .description("send the app's log lines to tcp://HOST:PORT (JSON lines), syslog+tcp://HOST:PORT (RFC 5424) or https://URL")
      .argument('<url>', 'where to send them'),
  ).action((url: string, flags: AppFlags) =>
    run(async () => {
      const app = await targetApp(flags);
      const drain = await connect().drains.add(app, url);
      if (flags.json) printJson(drain);
      else out(ok(`${app} now drains its logs to ${drain.url}`));
      return EXIT.ok;
    }),
  );
  withApp(program.command('drains:remove').description('stop draining to a URL').argument('<url>', 'the drain URL as `drains` lists it'), false).action(
    (url: string, flags: AppFlags) =>
      run(async () => {
        const app = await targetApp(flags);
        await connect().drains.remove(app, url);
        out(ok(`${app} no longer drains to ${url}`));
        return EXIT.ok;
      }),
  );
  withApp(
    program
      .command('metrics')
      .description('invocations, errors, throttles, timeouts, cold starts and durations per function, with a chart per minute')
      .option('-f, --function <name>', 'only this function')
      .option('-s, --since <window>', 'the window: 15m, 1h, 1d (default 1h)'),
  ).action((flags: AppFlags & { function?: string; since?: string }) =>
    run(async () => {
      const app = await targetApp(flags);
      const metrics = await connect().metrics.query(app, {
        ...(flags.function === undefined ? {} : { function: flags.function }),
        ...(flags.since === undefined ? {} : { since: flags.since }),
      });
      if (flags.json) printJson(metrics);
      else printMetrics(app, metrics);
      return EXIT.ok;
    }),
  );
}
