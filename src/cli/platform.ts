// What every platform command shares: the API client from the stored credentials, the app
// from -a or the git remote, JSON output, and the common flags.
import { type Command, InvalidArgumentError } from 'commander';
import { type ApiClient, createApiClient } from '../api/client.ts';
import { type Env, resolveCredentials } from './credentials.ts';
import { resolveApp } from './git.ts';
import { paint, type Style } from './output.ts';

/** How main.ts runs a command body: errors are printed and mapped to exit codes. */
export type Run = (work: () => Promise<number>) => Promise<void>;

export interface AppFlags {
  app?: string;
  json?: boolean;
}

/** The API client for the logged-in server (LAAMBDA_URL / LAAMBDA_TOKEN win over the file). */
export function connect(env: Env = process.env): ApiClient {
  const { url, token } = resolveCredentials(env);
  return createApiClient({ url, token });
}

/** The app a command is about: `-a APP`, else the checkout's `laambda` git remote. */
export function targetApp(flags: AppFlags, cwd: string = process.cwd()): Promise<string> {
  return resolveApp(flags.app, cwd);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function out(text: string): void {
  process.stdout.write(text);
}

/** Notes beside the result (confirmations, warnings) go to stderr, keeping stdout pipeable. */
export function note(text: string): void {
  process.stderr.write(text);
}

export function style(stream: NodeJS.WriteStream, name: Style, text: string): string {
  return paint(stream, name, text);
}

export const ok = (text: string): string => `${paint(process.stdout, 'green', '✔')} ${text}\n`;
export const dim = (text: string): string => paint(process.stdout, 'dim', text);

/** Adds `-a, --app <app>` (and `--json` unless told not to). */
export function withApp(command: Command, json = true): Command {
  command.option('-a, --app <app>', 'the app (default: from the git remote named laambda)');
  if (json) command.option('--json', 'print the API answer as JSON');
  return command;
}

/** A commander argument parser for whole numbers from `min`. */
export function wholeNumber(what: string, min = 0): (value: string) => number {
  return (value: string) => {
    const number = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min) {
      throw new InvalidArgumentError(`${what} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${value}".`);
    }
    return number;
  };
}

/** `v3` or `3` → 3. */
export function releaseVersion(value: string): number {
  const match = /^v?(\d+)$/i.exec(value.trim());
  if (match === null) throw new InvalidArgumentError(`a release is written v3 or 3, got "${value}".`);
  return Number(match[1]);
}
