/**
 * Installs the official AWS Lambda Node runtime interface client (npm `aws-lambda-ric`)
 * on demand, for the test that runs it unmodified against laambda's Runtime API.
 *
 * aws-lambda-ric is a native addon: its install scripts build curl (autotools) and
 * aws-lambda-cpp (cmake) from bundled sources, then the addon with node-gyp. It is never a
 * project dependency. It is built against, and later run on, the SYSTEM Node 20
 * (`/usr/bin/node`): 3.3.0 is the last release that supports Node 20, and node-gyp here finds
 * Node 20's headers through `nodedir=/usr` (see `npm config list`), so nothing is downloaded.
 *
 * The result is cached in `node_modules/.cache/laambda-test/aws-lambda-ric-3.3.0/` under the
 * repo root and reused once its `rapid-client.node` exists. A build takes about 100 s on the
 * project's 2-core machine.
 */
import { spawn } from 'node:child_process';
import { constants, createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AWS_LAMBDA_RIC_VERSION = '3.3.0';

/** The system Node the addon is built for and runs on (not the project's Node 24). */
export const SYSTEM_NODE = '/usr/bin/node';
const SYSTEM_NPM = '/usr/bin/npm';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE_ROOT = join(REPO_ROOT, 'node_modules', '.cache', 'laambda-test');
export const AWS_LAMBDA_RIC_CACHE_DIR = join(CACHE_ROOT, `aws-lambda-ric-${AWS_LAMBDA_RIC_VERSION}`);
const LOCK_DIR = `${AWS_LAMBDA_RIC_CACHE_DIR}.lock`;
const BUILD_LOG = `${AWS_LAMBDA_RIC_CACHE_DIR}.build.log`;

/** The addon the install leaves behind only when every build step succeeded. */
const BUILT_ADDON = join('node_modules', 'aws-lambda-ric', 'dist', 'rapid-client.node');

const BUILD_TIMEOUT_MS = 20 * 60_000;
const LOCK_POLL_MS = 500;
/** A lock directory with no owner pid written after this long is taken for abandoned. */
const OWNERLESS_LOCK_STALE_MS = 60_000;

/** Debian packages the build needs (the CI script installs them). */
export const AWS_LAMBDA_RIC_APT_PACKAGES = [
  'autoconf',
  'automake',
  'libtool',
  'cmake',
  'make',
  'g++',
  'python3',
] as const;

export type RicResult = { dir: string } | { skip: string };

let pending: Promise<RicResult> | undefined;

/**
 * Returns `{ dir }`, the prefix whose `node_modules/aws-lambda-ric` holds a built client,
 * building it first when needed; or `{ skip }` when a tool the build needs is missing.
 * A failed build throws, with the tail of the build log.
 */
export function ensureAwsLambdaRic(): Promise<RicResult> {
  pending ??= ensure().finally(() => {
    pending = undefined;
  });
  return pending;
}

async function ensure(): Promise<RicResult> {
  if (await isBuilt(AWS_LAMBDA_RIC_CACHE_DIR)) return { dir: AWS_LAMBDA_RIC_CACHE_DIR };

  const env = buildEnv();
  const missing = await missingTools(env);
  if (missing.length > 0) {
    return {
      skip:
        `aws-lambda-ric ${AWS_LAMBDA_RIC_VERSION} cannot be built: missing ${missing.join(', ')}; ` +
        `install with: apt-get install -y ${AWS_LAMBDA_RIC_APT_PACKAGES.join(' ')}`,
    };
  }

  await mkdir(CACHE_ROOT, { recursive: true });
  return withLock(async () => {
    // Another process may have finished the build while this one waited for the lock.
    if (await isBuilt(AWS_LAMBDA_RIC_CACHE_DIR)) return { dir: AWS_LAMBDA_RIC_CACHE_DIR };
    await build(env);
    return { dir: AWS_LAMBDA_RIC_CACHE_DIR };
  });
}

async function isBuilt(prefix: string): Promise<boolean> {
  return exists(join(prefix, BUILT_ADDON));
}

async function exists(path: string, mode: number = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

/**
 * The environment of the build: the system Node's directory first on PATH (so `node`,
 * `npm`, node-gyp and `python3` are the system ones), no `node_modules/.bin` (which holds the
 * project's Node 24), and none of the npm or node test runner variables of a parent process.
 */
function buildEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') || key === 'NODE_OPTIONS' || key.startsWith('NODE_TEST_')) continue;
    env[key] = value;
  }
  const systemBin = dirname(SYSTEM_NODE);
  const rest = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((entry) => entry !== '' && entry !== systemBin && !entry.includes('node_modules/.bin'));
  env['PATH'] = [systemBin, ...rest].join(delimiter);
  // node-gyp must find Node 20's headers locally: it cannot download them here.
  env['npm_config_nodedir'] = dirname(systemBin);
  return env;
}

async function which(command: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (await exists(candidate, constants.X_OK)) return candidate;
  }
  return undefined;
}

/** Each needed tool that is missing, named with the Debian package that provides it. */
async function missingTools(env: NodeJS.ProcessEnv): Promise<string[]> {
  const missing: string[] = [];
  if (!(await exists(SYSTEM_NODE, constants.X_OK))) missing.push(`${SYSTEM_NODE} (nodejs 20)`);
  if (!(await exists(SYSTEM_NPM, constants.X_OK))) missing.push(`${SYSTEM_NPM} (nodejs 20)`);
  const headers = join(env['npm_config_nodedir'] ?? '/usr', 'include', 'node', 'node_api.h');
  if (!(await exists(headers))) missing.push(`${headers} (Node headers of the nodejs package)`);
  const tools: ReadonlyArray<readonly [commands: readonly string[], apt: string]> = [
    [['autoreconf'], 'autoconf'],
    [['aclocal', 'automake'], 'automake'],
    [['libtoolize'], 'libtool'],
    [['cmake'], 'cmake'],
    [['make'], 'make'],
    [['gcc'], 'gcc'],
    [['g++'], 'g++'],
    [['python3'], 'python3'],
    [['tar'], 'tar'],
  ];
  for (const [commands, apt] of tools) {
    for (const command of commands) {
      if ((await which(command, env)) === undefined) missing.push(`${command} (${apt})`);
    }
  }
  return missing;
}

/** Runs `fn` holding a lock directory that other processes building the client respect. */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await lockIsStale()) {
      await rm(LOCK_DIR, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > BUILD_TIMEOUT_MS) {
      throw new Error(`timed out waiting for another aws-lambda-ric build to release ${LOCK_DIR}`);
    }
    await new Promise((done) => setTimeout(done, LOCK_POLL_MS));
  }
  try {
    await writeFile(join(LOCK_DIR, 'pid'), String(process.pid));
    return await fn();
  } finally {
    await rm(LOCK_DIR, { recursive: true, force: true });
  }
}

async function lockIsStale(): Promise<boolean> {
  let owner: number;
  try {
    owner = Number.parseInt(await readFile(join(LOCK_DIR, 'pid'), 'utf8'), 10);
  } catch {
    // Not written yet, or the lock was just released.
    try {
      return Date.now() - (await stat(LOCK_DIR)).mtimeMs > OWNERLESS_LOCK_STALE_MS;
    } catch {
      return false;
    }
  }
  if (!Number.isInteger(owner) || owner <= 0) return true;
  try {
    process.kill(owner, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Installs into a staging prefix and renames it into place only once the addon is built. */
async function build(env: NodeJS.ProcessEnv): Promise<void> {
  const staging = `${AWS_LAMBDA_RIC_CACHE_DIR}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', staging, `aws-lambda-ric@${AWS_LAMBDA_RIC_VERSION}`];
  const started = Date.now();
  const code = await run(SYSTEM_NPM, args, staging, env, BUILD_LOG);
  if (code !== 0 || !(await isBuilt(staging))) {
    await rm(staging, { recursive: true, force: true });
    const log = await readFile(BUILD_LOG, 'utf8').catch(() => '');
    throw new Error(
      `building aws-lambda-ric ${AWS_LAMBDA_RIC_VERSION} failed (${code === 0 ? 'no rapid-client.node' : `npm exited ${code}`}); ` +
        `full log: ${BUILD_LOG}\n${log.slice(-4000)}`,
    );
  }
  await rm(AWS_LAMBDA_RIC_CACHE_DIR, { recursive: true, force: true });
  await rename(staging, AWS_LAMBDA_RIC_CACHE_DIR);
  await writeFile(
    join(AWS_LAMBDA_RIC_CACHE_DIR, 'laambda-build.json'),
    JSON.stringify({ version: AWS_LAMBDA_RIC_VERSION, node: SYSTEM_NODE, buildMs: Date.now() - started }, null, 2),
  );
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  logPath: string,
): Promise<number | string> {
  return new Promise((done, fail) => {
    const log = createWriteStream(logPath);
    log.write(`$ ${command} ${args.join(' ')}\n`);
    // The system npm's shebang is `#!/usr/bin/env node`: start it with the system node explicitly.
    const child = spawn(SYSTEM_NODE, [command, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const timer = setTimeout(() => child.kill('SIGTERM'), BUILD_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      log.end();
      fail(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      log.end(() => done(code ?? signal ?? 'unknown'));
    });
  });
}
