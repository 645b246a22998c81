import type { Command } from 'commander';
import type { ApiRelease } from '../../api/client.ts';
import { listing, shellQuote } from '../format.ts';
import { EXIT, usageError } from '../output.ts';
import { type AppFlags, connect, dim, note, ok, out, printJson, type Run, targetApp, withApp } from '../platform.ts';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkKey(key: string, given: string): void {
  if (!KEY.test(key)) {
    throw usageError('ERR_CONFIG_KEY_INVALID', `"${key}" in "${given}" is not a valid key: use letters, digits and _, not starting with a digit`);
  }
}

/** `KEY=VALUE` arguments → changes; the value is everything after the first `=` and may be empty. */
export function parseAssignments(args: string[]): Record<string, string> {
  const changes: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) throw usageError('ERR_CONFIG_KEY_INVALID', `expected KEY=VALUE, got "${arg}" (to read a value: laambda config:get ${arg})`);
    if (eq === 0) throw usageError('ERR_CONFIG_KEY_INVALID', `"${arg}" has no key before the =`);
    const key = arg.slice(0, eq);
    checkKey(key, arg);
    if (key in changes) throw usageError('ERR_CONFIG_KEY_INVALID', `${key} is given twice`);
    changes[key] = arg.slice(eq + 1);
  }
  return changes;
}

/** `KEY` arguments of config:unset; `KEY=VALUE` is refused (a mix-up with config:set). */
export function parseKeys(args: string[]): string[] {
  for (const arg of args) {
    if (arg.includes('=')) throw usageError('ERR_CONFIG_KEY_INVALID', `config:unset takes keys, got "${arg}"`);
    checkKey(arg, arg);
  }
  return [...new Set(args)];
}

/** `KEY=VALUE` lines, or `export KEY='VALUE'` lines for a shell, sorted by key. */
export function formatConfig(config: Record<string, string>, shell: boolean): string {
  return Object.keys(config)
    .sort()
    .map((key) => (shell ? `export ${key}=${shellQuote(config[key] ?? '')}\n` : `${key}=${config[key]}\n`))
    .join('');
}

async function show(flags: AppFlags & { shell?: boolean }): Promise<number> {
  const app = await targetApp(flags);
  const config = await connect().config.get(app);
  if (flags.json) printJson(config);
  else if (Object.keys(config).length === 0) note(`${app} has no config vars.\n`);
  else out(formatConfig(config, flags.shell === true));
  return EXIT.ok;
}

async function get(key: string, flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const config = await connect().config.get(app);
  const value = config[key];
  if (value === undefined) {
    note(`${key} is not set on ${app}.\n`);
    return EXIT.user;
  }
  out(`${value}\n`);
  return EXIT.ok;
}

function changed(app: string, verb: string, keys: string[], release: ApiRelease): string {
  return ok(`${verb} ${keys.length === 0 ? 'nothing' : listing(keys)} on ${app} — released v${release.version}`);
}

async function set(args: string[], flags: AppFlags): Promise<number> {
  const changes = parseAssignments(args);
  const app = await targetApp(flags);
  const result = await connect().config.update(app, changes);
  if (flags.json) printJson(result);
  else out(changed(app, 'Set', Object.keys(changes), result.release));
  return EXIT.ok;
}

async function unset(args: string[], flags: AppFlags): Promise<number> {
  const keys = parseKeys(args);
  const app = await targetApp(flags);
  const result = await connect().config.update(app, Object.fromEntries(keys.map((key) => [key, null])));
  if (flags.json) printJson(result);
  else out(changed(app, 'Unset', keys, result.release));
  return EXIT.ok;
}

async function clear(flags: AppFlags): Promise<number> {
  const app = await targetApp(flags);
  const result = await connect().config.clear(app);
  if (flags.json) printJson(result);
  else out(ok(`Cleared the config of ${app} — released v${result.release.version}`));
  return EXIT.ok;
}

export function registerConfig(program: Command, run: Run): void {
  withApp(program.command('config').description("print the app's config vars as KEY=VALUE lines"))
    .option('--shell', "print export KEY='VALUE' lines for a POSIX shell")
    .action((flags: AppFlags & { shell?: boolean }) => run(() => show(flags)));
  withApp(
    program
      .command('config:get')
      .description('print the value of one config var (exit 1 when it is not set)')
      .argument('<key>', 'the variable name'),
    false,
  ).action((key: string, flags: AppFlags) => run(() => get(key, flags)));
  withApp(
    program
      .command('config:set')
      .description('set config vars for every function of the app; makes a new release')
      .argument('<pairs...>', 'KEY=VALUE pairs (quote values with spaces)'),
  )
    .addHelpText('after', `\nExample:\n  ${dim("laambda config:set STRIPE_KEY=sk_test_123 'GREETING=hello world'")}\n`)
    .action((pairs: string[], flags: AppFlags) => run(() => set(pairs, flags)));
  withApp(
    program
      .command('config:unset')
      .description('remove config vars; makes a new release')
      .argument('<keys...>', 'the variable names'),
  ).action((keys: string[], flags: AppFlags) => run(() => unset(keys, flags)));
  withApp(program.command('config:clear').description('remove every config var; makes a new release')).action((flags: AppFlags) =>
    run(() => clear(flags)),
  );
}
