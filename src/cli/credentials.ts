// Where the CLI keeps the server URL and token: credentials.json in the user's config dir,
// readable by the user alone. LAAMBDA_URL / LAAMBDA_TOKEN override it for scripts and CI.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { LaambdaError } from '../core/errors.ts';

export interface Credentials {
  /** The server's control URL, without a trailing slash. */
  url: string;
  token: string;
}

export type Env = Record<string, string | undefined>;

/** `$LAAMBDA_CONFIG_DIR`, else `$XDG_CONFIG_HOME/laambda`, else `~/.config/laambda`. */
export function configDir(env: Env): string {
  if (env.LAAMBDA_CONFIG_DIR) return path.resolve(env.LAAMBDA_CONFIG_DIR);
  if (env.XDG_CONFIG_HOME) return path.join(path.resolve(env.XDG_CONFIG_HOME), 'laambda');
  return path.join(env.HOME || homedir(), '.config', 'laambda');
}

export function credentialsPath(env: Env): string {
  return path.join(configDir(env), 'credentials.json');
}

/** `localhost:8000/` → `http://localhost:8000`; anything but http(s) is refused. */
export function normalizeUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new LaambdaError('ERR_CLI_SERVER_UNREACHABLE', `"${input}" is not a URL; give the server's control URL, e.g. http://127.0.0.1:8000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LaambdaError('ERR_CLI_SERVER_UNREACHABLE', `the server URL must be http:// or https://, got "${input}"`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** The stored credentials, or undefined when there are none (or the file is unreadable JSON). */
export function readCredentialsFile(env: Env): Credentials | undefined {
  let text: string;
  try {
    text = readFileSync(credentialsPath(env), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Credentials>;
    if (typeof parsed.url === 'string' && typeof parsed.token === 'string') return { url: parsed.url, token: parsed.token };
  } catch {
    // A damaged file counts as no login; `laambda login` rewrites it.
  }
  return undefined;
}

/** Writes credentials.json with mode 0600 (the dir is created 0700), atomically. */
export function writeCredentials(env: Env, credentials: Credentials): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = credentialsPath(env);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  // The mode given to writeFile applies only when it creates the file.
  chmodSync(temp, 0o600);
  renameSync(temp, file);
  return file;
}

/** Removes credentials.json; true when there was one. */
export function removeCredentials(env: Env): boolean {
  const file = credentialsPath(env);
  const existed = readCredentialsFile(env) !== undefined;
  rmSync(file, { force: true });
  return existed;
}

export interface ResolvedCredentials extends Credentials {
  /** Where the values came from, for `whoami` and error messages. */
  source: 'env' | 'file' | 'env+file';
}

/** The credentials to use: LAAMBDA_URL and LAAMBDA_TOKEN each override the stored value. */
export function resolveCredentials(env: Env): ResolvedCredentials {
  const stored = readCredentialsFile(env);
  const url = env.LAAMBDA_URL || stored?.url;
  const token = env.LAAMBDA_TOKEN || stored?.token;
  if (url === undefined || token === undefined) {
    const missing = url === undefined && token === undefined ? 'no server URL and no token' : url === undefined ? 'no server URL (LAAMBDA_URL)' : 'no token (LAAMBDA_TOKEN)';
    throw new LaambdaError('ERR_CLI_NOT_LOGGED_IN', `not logged in: ${missing} in the environment or ${credentialsPath(env)}`);
  }
  const fromEnv = Boolean(env.LAAMBDA_URL) || Boolean(env.LAAMBDA_TOKEN);
  const fromFile = stored !== undefined && (!env.LAAMBDA_URL || !env.LAAMBDA_TOKEN);
  return { url: normalizeUrl(url), token, source: fromEnv && fromFile ? 'env+file' : fromEnv ? 'env' : 'file' };
}
