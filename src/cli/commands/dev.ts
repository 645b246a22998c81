import type { Command } from 'commander';
import { resolveConfig } from '../../config/index.ts';
import { LaambdaError } from '../../core/errors.ts';
import type { DevEvent } from '../../dev/session.ts';
import type { GatewayAccess } from '../../events/http/gateway.ts';
import { formatEventSource } from '../../events/sources.ts';
import type { LogRecord } from '../../runtime/index.ts';
import { EXIT, paint, type Style, untilStopped } from '../output.ts';

interface DevFlags {
  port: string;
  host: string;
  awsPort: string;
  json?: boolean;
  watch: boolean;
}

const PALETTE: Style[] = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'redBright', 'cyanBright', 'magentaBright'];

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LaambdaError('ERR_CONFIG_INVALID', `${flag} must be a port number from 0 to 65535 (0 picks a free one), got "${value}"`);
  }
  return port;
}

/** Human output: a colored tag per function, REPORT lines highlighted, one line per request. */
function createPrinter(appName: string, out: NodeJS.WriteStream) {
  const colors = new Map<string, Style>();
  const tag = (fn: string) => {
    let color = colors.get(fn);
    if (color === undefined) {
      color = PALETTE[colors.size % PALETTE.length] ?? 'cyan';
      colors.set(fn, color);
    }
    return paint(out, color, fn.padEnd(10));
  };
  const short = (lambdaName: string) => (lambdaName.startsWith(`${appName}-`) ? lambdaName.slice(appName.length + 1) : lambdaName);
  return {
    log(record: LogRecord) {
      const fn = short(record.functionName);
      const line = record.line.replaceAll('\r', '\n           ');
      const text =
        record.stream === 'platform'
          ? line.startsWith('REPORT')
            ? paint(out, 'bold', line)
            : paint(out, 'dim', line)
          : record.stream === 'stderr'
            ? paint(out, 'red', line)
            : line;
      out.write(`${tag(fn)} │ ${text}\n`);
    },
    access(access: GatewayAccess) {
      if (access.functionName === undefined && access.path.startsWith('/__laambda/')) return;
      const status = access.statusCode >= 500 ? 'red' : access.statusCode >= 400 ? 'yellow' : 'green';
      const target = access.functionName === undefined ? '' : ` → ${access.functionName}`;
      const reason = access.reason === undefined ? '' : paint(out, 'dim', ` (${access.reason})`);
      out.write(`${paint(out, 'dim', 'http      ')} │ ${access.method} ${access.path} ${paint(out, status, String(access.statusCode))}${target} ${access.ms.toFixed(1)} ms${reason}\n`);
    },
    event(event: DevEvent) {
      const label = paint(out, 'dim', 'dev       ');
      switch (event.type) {
        case 'reloaded':
          out.write(`${label} │ ${paint(out, 'green', '↻')} ${event.files.join(', ')} → reloaded ${event.functions.join(', ') || 'nothing'} in ${event.ms.toFixed(0)} ms\n`);
          break;
        case 'reload-failed':
          out.write(`${label} │ ${paint(out, 'red', '✘')} reload failed, still serving the last good code:\n           ${event.error.message.replaceAll('\n', '\n           ')}\n`);
          break;
        case 'build-failed':
          out.write(`${label} │ ${paint(out, 'red', '✘')} ${event.functionName}: ${event.error.message}${event.keptOld ? ' — still serving the last good code' : ''}\n`);
          break;
        case 'init-failed':
          out.write(`${label} │ ${paint(out, 'red', '✘')} ${event.functionName}: ${event.error.errorType}: ${event.error.errorMessage}${event.keptOld ? ' — still serving the last good code' : ''}\n`);
          break;
        case 'installing':
          out.write(`${label} │ installing ${event.kind} dependencies…\n`);
          break;
        case 'install-output':
          out.write(`${label} │   ${paint(out, 'dim', event.line)}\n`);
          break;
        case 'installed':
          out.write(`${label} │ ${paint(out, 'green', '✔')} ${event.kind} dependencies installed in ${(event.ms / 1000).toFixed(1)} s\n`);
          break;
      }
    },
  };
}

function jsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? { message: v.message } : v))}\n`);
}

async function dev(dir: string | undefined, flags: DevFlags): Promise<number> {
  const { config } = resolveConfig({ env: process.env });
  const out = process.stdout;
  let printer: ReturnType<typeof createPrinter> | undefined;
  // The engine and platform load only for the commands that run them (thin commands start faster).
  const { startDev } = await import('../../main.ts');
  const server = await startDev({
    config,
    dir: dir ?? '.',
    host: flags.host,
    port: parsePort('--port', flags.port),
    awsPort: parsePort('--aws-port', flags.awsPort),
    watch: flags.watch,
    hostEnv: process.env,
    onLog: (record) => (flags.json ? jsonLine({ type: 'log', ...record }) : printer?.log(record)),
    onAccess: (access) => (flags.json ? jsonLine({ type: 'access', ...access }) : printer?.access(access)),
    onEvent: (event) => (flags.json ? jsonLine(event) : printer?.event(event)),
  });
  const app = server.session.state.app;
  printer = createPrinter(app.name, out);
  const routes = server.routes();
  if (flags.json) {
    jsonLine({ type: 'listening', app: app.name, url: server.url, awsUrl: server.awsUrl, routes });
  } else {
    out.write(`laambda dev · ${paint(out, 'bold', app.name)} · listening on ${server.url}\n\n`);
    if (routes.length > 0) {
      const width = Math.max(5, ...routes.map((row) => row.route.length));
      const fnWidth = Math.max(8, ...routes.map((row) => row.function.length));
      out.write(paint(out, 'dim', `  ${'ROUTE'.padEnd(width)}  ${'FUNCTION'.padEnd(fnWidth)}  URL\n`));
      for (const row of routes) {
        const auth = row.authorizer === undefined ? '' : paint(out, 'dim', `  (authorizer ${row.authorizer})`);
        out.write(`  ${row.route.padEnd(width)}  ${row.function.padEnd(fnWidth)}  ${row.url}${auth}\n`);
      }
    }
    // Queues, buckets and schedules invoke functions too: show them beside the routes.
    const sources = [...server.session.state.functions.values()].flatMap((fn) =>
      (fn.definition.events ?? []).filter((source) => source.kind !== 'http').map((source) => [formatEventSource(source), fn.definition.name] as const),
    );
    if (sources.length > 0) {
      const width = Math.max(6, ...sources.map(([source]) => source.length));
      out.write(paint(out, 'dim', `${routes.length > 0 ? '\n' : ''}  ${'SOURCE'.padEnd(width)}  FUNCTION\n`));
      for (const [source, fn] of sources) out.write(`  ${source.padEnd(width)}  ${fn}\n`);
    }
    out.write(`\n  AWS endpoint (Lambda, S3, SQS): ${server.awsUrl}  ·  health: ${server.url}/__laambda/health\n`);
    out.write(`${paint(out, 'green', '✔')} ready${flags.watch ? ', watching for changes' : ''} (Ctrl-C to stop)\n`);
  }
  await untilStopped();
  await server.close();
  return EXIT.ok;
}

export function registerDev(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('dev')
    .description("serve the app's HTTP routes from warm environments, reloading on every save")
    .argument('[dir]', 'the app directory (holding the Procfile)', '.')
    .option('-p, --port <port>', 'gateway port (0 picks a free port)', '3000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--aws-port <port>', 'port of the AWS endpoint (Lambda, S3, SQS; 0 picks a free port)', '0')
    .option('--json', 'print logs, requests and reloads as JSON lines')
    .option('--no-watch', 'do not reload on file changes')
    .action((dir: string, flags: DevFlags) => run(() => dev(dir, flags)));
}
