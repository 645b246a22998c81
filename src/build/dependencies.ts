/**
 * The build's dependency cache: an app's installed dependencies, keyed by what decides them
 * (the kind, the runtime version, the manifest, the lockfile and any local packages they name),
 * kept under `CACHE/deps/<key>` and hard-linked into each build's code directory. A redeploy
 * with unchanged manifests runs no installer at all.
 *
 * Node: `npm ci --omit=dev` (or `npm install --omit=dev --no-package-lock` without a lockfile)
 * in a directory holding the manifests; its node_modules becomes `<code>/node_modules`.
 * Python: `pip install -r requirements.txt -t …`; the packages land in the code root, as in a
 * Lambda zip. An entry is written under a temporary name and renamed into place, so builds
 * racing on one key never see half an entry.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { LaambdaError } from '../core/errors.ts';

export type DependencyKind = 'node' | 'python';

/** What to install for one kind, and where its cache entry lives. */
export interface DependencyPlan {
  kind: DependencyKind;
  /** sha256 (hex) of everything that decides the installed tree. */
  key: string;
  /** The installer command as build output shows it, e.g. `npm ci --omit=dev`. */
  display: string;
  /** The installer's name for messages: `npm` or `pip`. */
  tool: 'npm' | 'pip';
}

export interface PlanOptions {
  kind: DependencyKind;
  codeDir: string;
  /** The Python interpreter; called only for a python plan. */
  python: () => string;
  hostEnv: NodeJS.ProcessEnv;
}

export interface InstallOptions {
  codeDir: string;
  /** The persistent cache root; entries go to `<cacheDir>/deps/<key>`. */
  cacheDir: string;
  python: () => string;
  hostEnv: NodeJS.ProcessEnv;
  /** Each complete output line of the installer. */
  onLine(line: string): void;
}

const KEY_VERSION = 'laambda-deps-1';
const LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'];
const NPM_MANIFESTS = ['package.json', ...LOCKFILES, '.npmrc'];
const TAIL_LINES = 12;

function dependenciesFailed(message: string, cause?: unknown): LaambdaError {
  return new LaambdaError('ERR_BUILD_DEPENDENCIES_FAILED', message, cause === undefined ? {} : { cause });
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  return readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

/** The entry directory of a plan, whether or not it exists yet. */
export function cacheEntryDir(cacheDir: string, plan: DependencyPlan): string {
  return path.join(cacheDir, 'deps', plan.key);
}

/** True when the plan's dependencies are already in the cache. */
export async function isCached(cacheDir: string, plan: DependencyPlan): Promise<boolean> {
  return (await stat(cacheEntryDir(cacheDir, plan)).catch(() => undefined))?.isDirectory() === true;
}

/** Content of local files and directories a manifest points at, so a new wheel or tarball is a new key. */
async function hashLocalPath(hash: ReturnType<typeof createHash>, base: string, reference: string): Promise<void> {
  const full = path.resolve(base, reference);
  const info = await lstat(full).catch(() => undefined);
  if (info === undefined) return; // the installer will say it is missing
  hash.update(`path\0${reference}\0`);
  if (info.isFile()) {
    hash.update(await readFile(full));
  } else if (info.isDirectory()) {
    const names = (await readdir(full, { recursive: true })).sort();
    for (const name of names) {
      if (name.split(path.sep).some((part) => part === '.git' || part === '__pycache__' || part === 'node_modules')) continue;
      const entry = await lstat(path.join(full, name));
      if (entry.isFile()) hash.update(`${name}\0${entry.mode}\0`).update(await readFile(path.join(full, name)));
    }
  }
}

function isLocalSpec(spec: string): string | undefined {
  if (spec.startsWith('file:')) return spec.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
  if (/^(\.{1,2}\/|\/)/.test(spec)) return spec;
  return undefined;
}

async function planNode(codeDir: string): Promise<DependencyPlan | undefined> {
  const manifestText = await readIfExists(path.join(codeDir, 'package.json'));
  if (manifestText === undefined) return undefined;
  let manifest: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(manifestText.toString('utf8')) as typeof manifest;
  } catch (error) {
    throw dependenciesFailed(`package.json is not valid JSON: ${(error as Error).message}`, error);
  }
  const specs = { ...manifest.optionalDependencies, ...manifest.dependencies };
  if (Object.keys(specs).length === 0) return undefined;
  const hash = createHash('sha256').update(`${KEY_VERSION}\0node\0${process.version} ${process.platform} ${process.arch}\0`);
  let locked = false;
  for (const name of NPM_MANIFESTS) {
    const content = await readIfExists(path.join(codeDir, name));
    if (content === undefined) continue;
    if (LOCKFILES.includes(name)) locked = true;
    hash.update(`${name}\0`).update(content).update('\0');
  }
  // A local directory is linked (npm's default), so it ships as code; a local tarball is unpacked into node_modules.
  for (const spec of Object.values(specs).sort()) {
    const local = typeof spec === 'string' ? isLocalSpec(spec) : undefined;
    const info = local === undefined ? undefined : await lstat(path.resolve(codeDir, local)).catch(() => undefined);
    if (local !== undefined && info?.isFile()) await hashLocalPath(hash, codeDir, local);
  }
  return { kind: 'node', key: hash.digest('hex'), tool: 'npm', display: locked ? 'npm ci --omit=dev' : 'npm install --omit=dev --no-package-lock' };
}

/** Local paths a requirements file names: `-r`/`-c` files, wheels, archives and source directories. */
async function requirementReferences(codeDir: string, file: string, seen: Set<string>): Promise<string[]> {
  if (seen.has(file)) return [];
  seen.add(file);
  const text = await readIfExists(path.join(codeDir, file));
  if (text === undefined) return [];
  const found: string[] = [];
  for (const raw of text.toString('utf8').split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const include = /^(?:-r|--requirement|-c|--constraint)[=\s]\s*(\S+)/.exec(line);
    if (include !== null) {
      const nested = path.posix.join(path.posix.dirname(file), include[1]!);
      found.push(nested, ...(await requirementReferences(codeDir, nested, seen)));
      continue;
    }
    const at = /\s@\s*(\S+)/.exec(line);
    const token = at?.[1] ?? line.replace(/^(?:-e|--editable)[=\s]\s*/, '').split(/[\s;[]/)[0]!;
    const local = isLocalSpec(token.replace(/^file:\/\/(?=\/)/, 'file:'));
    if (local !== undefined) found.push(local);
    else if (/\.(whl|zip|tar\.gz|tgz|tar\.bz2)$/.test(token)) found.push(token);
  }
  return found;
}

function pythonVersion(python: string, env: NodeJS.ProcessEnv): Promise<string> {
  return runCapture(python, ['-S', '-c', 'import sys, platform; print(sys.version, platform.machine())'], env).catch((error: Error) => {
    throw dependenciesFailed(`cannot run the Python interpreter ${python}: ${error.message}`, error);
  });
}

async function planPython(codeDir: string, options: PlanOptions): Promise<DependencyPlan | undefined> {
  const requirements = await readIfExists(path.join(codeDir, 'requirements.txt'));
  if (requirements === undefined) return undefined;
  const meaningful = requirements.toString('utf8').split('\n').some((line) => line.replace(/(^|\s)#.*$/, '').trim() !== '');
  if (!meaningful) return undefined;
  const version = await pythonVersion(options.python(), options.hostEnv);
  const hash = createHash('sha256').update(`${KEY_VERSION}\0python\0${version.trim()}\0requirements.txt\0`).update(requirements);
  for (const reference of await requirementReferences(codeDir, 'requirements.txt', new Set())) {
    await hashLocalPath(hash, codeDir, reference);
  }
  return { kind: 'python', key: hash.digest('hex'), tool: 'pip', display: 'pip install -r requirements.txt' };
}

/**
 * What the app's manifests of one kind ask to install, or undefined when there is nothing to
 * install (no manifest, a package.json without dependencies, an empty requirements.txt).
 */
export async function planDependencies(options: PlanOptions): Promise<DependencyPlan | undefined> {
  return options.kind === 'node' ? planNode(options.codeDir) : planPython(options.codeDir, options);
}

function runCapture(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exited with ${code}`))));
  });
}

interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  display: string;
  onLine(line: string): void;
  /** Directories shown as `.` in the output (the temporary install dir means the app's). */
  hide: string[];
}

/** Runs an installer, streaming whole lines; rejects with its last lines. */
function runInstaller(command: string, args: string[], options: RunOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const emit = (raw: string) => {
      if (raw.trim() === '') return;
      const line = options.hide.reduce((text, dir) => text.split(dir).join('.'), raw);
      options.onLine(line);
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    };
    const splitter = () => {
      let partial = '';
      return {
        data(chunk: Buffer) {
          const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
          partial = lines.pop()!;
          lines.forEach(emit);
        },
        end: () => emit(partial),
      };
    };
    const out = splitter();
    const err = splitter();
    child.stdout.on('data', out.data);
    child.stderr.on('data', err.data);
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? `${command} is not on the PATH` : error.message;
      reject(dependenciesFailed(`cannot run ${options.display}: ${why}`, error));
    });
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      if (code === 0) return resolve();
      const status = signal === null ? `exited with ${code}` : `was killed by ${signal}`;
      reject(dependenciesFailed(`${options.display} ${status}:\n  ${tail.join('\n  ')}`));
    });
  });
}

/** PATH with the Node that runs the functions first, so npm builds native addons for it. */
function nodeFirstPath(env: NodeJS.ProcessEnv): string {
  const own = path.dirname(process.execPath);
  return env.PATH === undefined || env.PATH === '' ? own : `${own}${path.delimiter}${env.PATH}`;
}

async function installNode(plan: DependencyPlan, temp: string, options: InstallOptions): Promise<void> {
  // The manifests are copied; everything else at the top of the app is linked, so `file:./lib`
  // and `file:vendor/x.tgz` resolve as they would in the app directory.
  const linked: string[] = [];
  for (const name of await readdir(options.codeDir)) {
    if (name === 'node_modules' || name === '.laambda') continue;
    if (NPM_MANIFESTS.includes(name)) await copyFile(path.join(options.codeDir, name), path.join(temp, name));
    else {
      await symlink(path.join(options.codeDir, name), path.join(temp, name));
      linked.push(name);
    }
  }
  const args = plan.display.startsWith('npm ci')
    ? ['ci', '--omit=dev', '--no-audit', '--no-fund']
    : ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock'];
  const env: NodeJS.ProcessEnv = {
    ...options.hostEnv,
    PATH: nodeFirstPath(options.hostEnv),
    npm_config_cache: options.hostEnv.npm_config_cache ?? path.join(options.cacheDir, 'npm'),
    npm_config_update_notifier: 'false',
  };
  try {
    await runInstaller('npm', args, { cwd: temp, env, display: plan.display, onLine: options.onLine, hide: [temp, options.codeDir] });
  } finally {
    await Promise.all(linked.map((name) => rm(path.join(temp, name), { force: true })));
  }
}

async function installPython(plan: DependencyPlan, temp: string, options: InstallOptions): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...options.hostEnv,
    PIP_CACHE_DIR: options.hostEnv.PIP_CACHE_DIR ?? path.join(options.cacheDir, 'pip'),
  };
  const args = ['-m', 'pip', 'install', '-r', 'requirements.txt', '-t', path.join(temp, 'python'), '--disable-pip-version-check', '--no-input'];
  // From the code directory: relative paths in requirements.txt mean what they mean there.
  await runInstaller(options.python(), args, { cwd: options.codeDir, env, display: plan.display, onLine: options.onLine, hide: [options.codeDir] });
}

/**
 * Installs the plan's dependencies into the cache (under a temporary name, then renamed into
 * place). Throws ERR_BUILD_DEPENDENCIES_FAILED with the installer's last lines.
 */
export async function installToCache(plan: DependencyPlan, options: InstallOptions): Promise<void> {
  const final = cacheEntryDir(options.cacheDir, plan);
  const temp = `${final}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    if (plan.kind === 'node') await installNode(plan, temp, options);
    else await installPython(plan, temp, options);
    await rename(temp, final).catch(async (error: NodeJS.ErrnoException) => {
      // Another build of the same key finished first: its entry is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      await rm(temp, { recursive: true, force: true });
    });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

export interface LinkResult {
  /** Files linked (or copied across devices). */
  files: number;
  /** Paths (relative) the destination already had, which were left as they were. */
  kept: string[];
}

/** Hard-links every file of `from` into `to` (copying across devices), recreating links and directories. */
async function linkTree(from: string, to: string, relative: string, result: LinkResult): Promise<void> {
  await mkdir(path.join(to, relative), { recursive: true });
  const entries = await readdir(path.join(from, relative), { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const rel = path.join(relative, entry.name);
      const source = path.join(from, rel);
      const target = path.join(to, rel);
      if (entry.isDirectory()) return linkTree(from, to, rel, result);
      try {
        if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
        else if (entry.isFile()) {
          await link(source, target).catch((error: NodeJS.ErrnoException) => {
            if (error.code === 'EXDEV' || error.code === 'EPERM' || error.code === 'ENOTSUP') return copyFile(source, target);
            throw error;
          });
          result.files += 1;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        result.kept.push(rel);
      }
    }),
  );
}

/**
 * Puts a cached entry into the code directory: node_modules as `<code>/node_modules` (replacing
 * any uploaded one), python packages into the code root, where the app's own files win.
 */
export async function materializeDependencies(plan: DependencyPlan, cacheDir: string, codeDir: string): Promise<LinkResult> {
  const entry = cacheEntryDir(cacheDir, plan);
  const result: LinkResult = { files: 0, kept: [] };
  if (plan.kind === 'node') {
    const modules = path.join(codeDir, 'node_modules');
    await rm(modules, { recursive: true, force: true });
    const source = path.join(entry, 'node_modules');
    if ((await stat(source).catch(() => undefined)) !== undefined) await linkTree(source, modules, '', result);
  } else {
    const source = path.join(entry, 'python');
    if ((await stat(source).catch(() => undefined)) !== undefined) await linkTree(source, codeDir, '', result);
  }
  result.kept.sort();
  return result;
}
