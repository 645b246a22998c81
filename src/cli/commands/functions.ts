import type { Command } from 'commander';
import type { ApiFunction } from '../../api/client.ts';
import type { FunctionOverrides } from '../../core/platform.ts';
import { table } from '../format.ts';
import { EXIT } from '../output.ts';
import { type AppFlags, connect, dim, ok, out, printJson, type Run, targetApp, wholeNumber, withApp } from '../platform.ts';

/** One row per function: name, runtime, memory, timeout, concurrency, routes (and its URL). */
export function functionRows(functions: ApiFunction[]): string[][] {
  return functions.map((fn) => {
    const routes = [...fn.routes, ...(fn.url === null ? [] : [fn.url])];
    return [fn.name, fn.runtime, `${fn.memoryMB} MB`, `${fn.timeoutS} s`, String(fn.concurrency), routes.length === 0 ? '—' : routes.join(', ')];
  });
}

export const FUNCTION_HEADERS = ['NAME', 'RUNTIME', 'MEMORY', 'TIMEOUT', 'CONCURRENCY', 'ROUTES'];

async function list(flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const functions = await connect().functions.list(app);
  if (flags.json) printJson(functions);
  else if (functions.length === 0) out(`${app} has no functions yet: deploy code with a Procfile first.\n`);
  else out(table(FUNCTION_HEADERS, functionRows(functions), { header: dim }));
  return EXIT.ok;
}

interface Setting {
  command: string;
  key: keyof FunctionOverrides;
  argument: string;
  what: string;
  min: number;
  show: (value: number) => string;
  help: string;
}

const SETTINGS: Setting[] = [
  { command: 'resource:memory', key: 'memoryMB', argument: '<mb>', what: 'memory', min: 1, show: (v) => `${v} MB`, help: 'set the memory of a function (128-10240 MB)' },
  { command: 'resource:timeout', key: 'timeoutS', argument: '<seconds>', what: 'timeout', min: 1, show: (v) => `${v} s`, help: 'set the timeout of a function (1-900 s)' },
  { command: 'resource:concurrency', key: 'concurrency', argument: '<n>', what: 'concurrency', min: 1, show: (v) => String(v), help: 'set how many invocations of a function may run at once' },
];

async function update(setting: Setting, fn: string, value: number, flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const result = await connect().functions.update(app, fn, { [setting.key]: value });
  if (flags.json) printJson(result);
  else out(ok(`${app} ${result.function.name}: ${setting.what} ${setting.show(value)} — released v${result.release.version}`));
  return EXIT.ok;
}

export function registerFunctions(program: Command, run: Run): void {
  withApp(program.command('functions').description("list the live release's functions with their settings and routes")).action((flags: AppFlags) =>
    run(() => list(flags)),
  );
  for (const setting of SETTINGS) {
    withApp(
      program
        .command(setting.command)
        .description(`${setting.help}; makes a new release`)
        .argument('<function>', 'the function name from the Procfile')
        .argument(setting.argument, `the new ${setting.what}`, wholeNumber(setting.what, setting.min)),
    ).action((fn: string, value: number, flags: AppFlags) => run(() => update(setting, fn, value, flags)));
  }
}
