import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { findFunction, loadLocalApp } from '../../build/app.ts';
import { resolveConfig } from '../../config/index.ts';
import { LaambdaError } from '../../core/errors.ts';
import { RUNTIMES, type Runtime } from '../../core/function.ts';
import { createLocalEngine } from '../../main.ts';
import { EXIT, formatLogLine } from '../output.ts';

interface InvokeFlags {
  dir: string;
  event?: string;
  runtime?: string;
  json?: boolean;
  memory?: string;
  timeout?: string;
  env: string[];
}

/** Standard input read as a stream: a synchronous read of a non-blocking pipe fails with EAGAIN. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The event from a file, standard input (`-`) or inline JSON; `{}` when none is given. */
async function readEvent(source: string | undefined): Promise<string> {
  let text = '{}';
  if (source === '-') text = await readStdin();
  else if (source !== undefined && /^\s*[[{"]/.test(source)) text = source;
  else if (source !== undefined) {
    try {
      text = readFileSync(source, 'utf8');
    } catch (error) {
      throw new LaambdaError('ERR_INVOKE_EVENT_INVALID', `cannot read the event file ${source}`, { cause: error });
    }
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new LaambdaError('ERR_INVOKE_EVENT_INVALID', `the event is not valid JSON: ${(error as Error).message}`);
  }
  return text;
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LaambdaError('ERR_FUNCTION_CONFIG_INVALID', `--env takes KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function parseRuntime(value: string | undefined): Runtime | undefined {
  if (value === undefined) return undefined;
  if (!(RUNTIMES as readonly string[]).includes(value)) {
    throw new LaambdaError('ERR_APP_RUNTIME_UNKNOWN', `unknown runtime "${value}" (use ${RUNTIMES.join(', ')})`);
  }
  return value as Runtime;
}

async function invoke(name: string, flags: InvokeFlags): Promise<number> {
  const { config } = resolveConfig({ env: process.env });
  const runtime = parseRuntime(flags.runtime);
  const app = loadLocalApp(flags.dir, runtime === undefined ? {} : { runtime });
  const fn = findFunction(app, name);
  const payload = await readEvent(flags.event);
  const engine = await createLocalEngine({
    config,
    baseDir: app.dir,
    hostEnv: process.env,
    onLog: (record) => process.stderr.write(formatLogLine(record, process.stderr)),
  });
  try {
    const result = await engine.invoke(
      {
        name: `${app.name}-${fn.name}`,
        codeDir: app.dir,
        handler: fn.handler,
        runtime: fn.runtime,
        ...(flags.memory === undefined ? {} : { memoryMB: Number(flags.memory) }),
        ...(flags.timeout === undefined ? {} : { timeoutS: Number(flags.timeout) }),
        environment: parseEnv(flags.env),
      },
      { payload },
    );
    const body = result.payload.toString('utf8');
    if (flags.json) {
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // not JSON: keep the text
      }
      const summary = {
        requestId: result.requestId,
        functionError: result.error === undefined ? undefined : 'Unhandled',
        payload: parsed,
        executedVersion: result.executedVersion,
        durationMs: result.durationMs,
        billedDurationMs: result.billedDurationMs,
        initDurationMs: result.initDurationMs,
        memorySizeMB: result.memorySizeMB,
        maxMemoryUsedMB: result.maxMemoryUsedMB,
      };
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      process.stdout.write(`${body}\n`);
    }
    return result.error === undefined ? EXIT.ok : EXIT.user;
  } finally {
    await engine.close();
  }
}

export function registerInvoke(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('invoke')
    .description("run one function of the app in --dir with an event; the result goes to stdout, logs to stderr")
    .argument('<function>', 'the function name from the Procfile')
    .option('-d, --dir <dir>', 'the app directory (holding the Procfile)', '.')
    .option('-e, --event <file|-|json>', 'the event: a JSON file, - for standard input, or inline JSON (default {})')
    .option('--runtime <runtime>', `override runtime detection: ${RUNTIMES.join(', ')}`)
    .option('--memory <mb>', 'memory size in MB (128-10240, default 128)')
    .option('--timeout <seconds>', 'timeout in seconds (1-900, default 3)')
    .option('--env <KEY=VALUE...>', 'an environment variable for the function (repeatable)', (value: string, all: string[]) => [...all, value], [])
    .option('--json', 'print the result and its REPORT figures as JSON')
    .action((name: string, flags: InvokeFlags) => run(() => invoke(name, flags)));
}
