import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { findFunction, loadLocalApp } from '../../build/app.ts';
import { resolveConfig } from '../../config/index.ts';
import { LaambdaError } from '../../core/errors.ts';
import { RUNTIMES, type Runtime } from '../../core/function.ts';
import { readDevAdvert } from '../../dev/server.ts';
import type { InvokeResult } from '../../runtime/index.ts';
import { EXIT, formatLogLine, paint } from '../output.ts';

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

/** REPORT figures from a log tail (what the Invoke API gives instead of the engine's numbers). */
function reportFigures(tail: string): Partial<InvokeResult> {
  const report = tail.split('\n').find((line) => line.startsWith('REPORT'));
  const figure = (label: string) => {
    const match = report === undefined ? null : new RegExp(`${label}: ([\\d.]+)`).exec(report);
    return match === null ? undefined : Number(match[1]);
  };
  const figures: Partial<InvokeResult> = {};
  const durationMs = figure('Duration');
  if (durationMs !== undefined) figures.durationMs = durationMs;
  const billed = figure('Billed Duration');
  if (billed !== undefined) figures.billedDurationMs = billed;
  const memory = figure('Memory Size');
  if (memory !== undefined) figures.memorySizeMB = memory;
  const used = figure('Max Memory Used');
  if (used !== undefined) figures.maxMemoryUsedMB = used;
  const init = figure('Init Duration');
  if (init !== undefined) figures.initDurationMs = init;
  return figures;
}

/**
 * Runs the invocation on a `laambda dev` serving this app, through its Invoke API, so it
 * reuses dev's warm environments and current code. Undefined when that dev cannot be reached.
 */
async function invokeOnDev(awsUrl: string, name: string, payload: string): Promise<InvokeResult | undefined> {
  let response: Response;
  try {
    response = await fetch(`${awsUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amz-log-type': 'Tail' },
      body: payload,
    });
  } catch {
    return undefined;
  }
  const body = Buffer.from(await response.arrayBuffer());
  if (!response.ok) {
    const error = JSON.parse(body.toString('utf8')) as { message?: string };
    if (response.status === 404) throw new LaambdaError('ERR_APP_FUNCTION_NOT_FOUND', error.message ?? `no function ${name}`);
    if (response.status === 429) throw new LaambdaError('ERR_INVOKE_THROTTLED', error.message ?? 'Rate Exceeded.');
    if (response.status === 413) throw new LaambdaError('ERR_INVOKE_PAYLOAD_TOO_LARGE', error.message ?? 'payload too large');
    throw new LaambdaError('ERR_PLATFORM_INTERNAL', `laambda dev at ${awsUrl} answered ${response.status}: ${error.message}`);
  }
  const logResult = response.headers.get('x-amz-log-result');
  const logTail = logResult === null ? '' : Buffer.from(logResult, 'base64').toString('utf8');
  const functionError = response.headers.get('x-amz-function-error');
  let error: InvokeResult['error'];
  if (functionError !== null) {
    const parsed = JSON.parse(body.toString('utf8')) as { errorType?: string; errorMessage?: string };
    error = { errorType: parsed.errorType ?? functionError, errorMessage: parsed.errorMessage ?? '' };
  }
  return {
    requestId: response.headers.get('x-amzn-requestid') ?? '',
    payload: body,
    contentType: response.headers.get('content-type') ?? undefined,
    error,
    executedVersion: response.headers.get('x-amz-executed-version') ?? '$LATEST',
    coldStart: /Init Duration/.test(logTail),
    initDurationMs: undefined,
    durationMs: 0,
    billedDurationMs: 0,
    memorySizeMB: 0,
    maxMemoryUsedMB: 0,
    logTail,
    ...reportFigures(logTail),
  };
}

async function invokeLocally(name: string, flags: InvokeFlags, payload: string, runtime: Runtime | undefined): Promise<InvokeResult> {
  const { config } = resolveConfig({ env: process.env });
  const app = loadLocalApp(flags.dir, runtime === undefined ? {} : { runtime });
  const fn = findFunction(app, name);
  // The engine and platform load only for the commands that run them (thin commands start faster).
  const { createLocalEngine } = await import('../../main.ts');
  const engine = await createLocalEngine({
    config,
    baseDir: app.dir,
    hostEnv: process.env,
    onLog: (record) => process.stderr.write(formatLogLine(record, process.stderr)),
  });
  try {
    return await engine.invoke(
      {
        name: `${app.name}-${fn.name}`,
        codeDir: app.dir,
        handler: fn.handler,
        runtime: fn.runtime,
        ...(fn.memoryMB === undefined ? {} : { memoryMB: fn.memoryMB }),
        ...(fn.timeoutS === undefined ? {} : { timeoutS: fn.timeoutS }),
        ...(flags.memory === undefined ? {} : { memoryMB: Number(flags.memory) }),
        ...(flags.timeout === undefined ? {} : { timeoutS: Number(flags.timeout) }),
        environment: { ...fn.environment, ...parseEnv(flags.env) },
      },
      { payload },
    );
  } finally {
    await engine.close();
  }
}

async function invoke(name: string, flags: InvokeFlags): Promise<number> {
  const { config } = resolveConfig({ env: process.env });
  const runtime = parseRuntime(flags.runtime);
  const payload = await readEvent(flags.event);
  // Overrides need an engine of their own; otherwise a running `dev` of this app serves it.
  const overrides = runtime !== undefined || flags.memory !== undefined || flags.timeout !== undefined || flags.env.length > 0;
  const advert = overrides ? undefined : readDevAdvert(path.resolve(flags.dir, config.dataDir));
  let result = advert === undefined ? undefined : await invokeOnDev(advert.awsUrl, name, payload);
  if (result !== undefined && advert !== undefined) {
    process.stderr.write(paint(process.stderr, 'dim', `(ran on laambda dev at ${advert.url})\n`));
    for (const line of (result.logTail ?? '').split('\n')) {
      if (line !== '') process.stderr.write(formatLogLine({ time: Date.now(), functionName: name, version: '$LATEST', requestId: result.requestId, stream: /^(START|END|REPORT) /.test(line) ? 'platform' : 'stdout', line }, process.stderr));
    }
  }
  result ??= await invokeLocally(name, flags, payload, runtime);
  printResult(result, flags.json === true);
  return result.error === undefined ? EXIT.ok : EXIT.user;
}

function printResult(result: InvokeResult, json: boolean): void {
  const body = result.payload.toString('utf8');
  if (!json) {
    process.stdout.write(`${body}\n`);
    return;
  }
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
