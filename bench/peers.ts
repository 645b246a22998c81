// Peers of a benchmark: what it compares against or drives it with. On-demand installs (other
// platforms from npm under bench/peers/<name>/, git-ignored; load tools from Debian), none of
// them a project dependency, skipped when already there at the wanted versions; and running
// them as servers in their own process groups, stopped cleanly and never left behind.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { processesUnder } from './cpu.ts';

/** bench/peers/: one folder per peer, each with its own package.json and node_modules. */
export const PEERS_DIR = fileURLToPath(new URL('./peers/', import.meta.url));

export interface NpmPeerOptions {
  /** Folder under bench/peers/. */
  name: string;
  /** Exact versions, package name → version. */
  packages: Readonly<Record<string, string>>;
  /** One line per step, for stderr. */
  progress(line: string): void;
}

export interface NpmPeer {
  dir: string;
  /** The versions found installed, package name → version. */
  versions: Record<string, string>;
  /** False when everything was already there. */
  installed: boolean;
}

/** The version of `pkg` installed in a peer folder, or null. */
export function installedVersion(dir: string, pkg: string): string | null {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8'));
    return typeof manifest.version === 'string' ? manifest.version : null;
  } catch {
    return null;
  }
}

function installedVersions(dir: string, packages: Readonly<Record<string, string>>): Record<string, string | null> {
  return Object.fromEntries(Object.keys(packages).map((pkg) => [pkg, installedVersion(dir, pkg)]));
}

/**
 * Installs exact versions of npm packages into bench/peers/<name>/ unless they are there already.
 * A package.json pins them, so `npm install` there reproduces the same tree by hand too.
 * Install scripts are skipped: the peers are run, never built.
 */
export function ensureNpmPeer(options: NpmPeerOptions): NpmPeer {
  const { name, packages, progress } = options;
  const dir = path.join(PEERS_DIR, name);
  const before = installedVersions(dir, packages);
  const wrong = Object.entries(packages).filter(([pkg, version]) => before[pkg] !== version);
  if (wrong.length === 0) {
    progress(`peer ${name}: ${describe(packages)} already installed`);
    return { dir, versions: { ...packages }, installed: false };
  }
  progress(`peer ${name}: installing ${describe(packages)} into ${path.relative(process.cwd(), dir)} (npm)`);
  mkdirSync(dir, { recursive: true });
  const manifest = { name: `laambda-peer-${name}`, private: true, dependencies: packages };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // npm's own output goes to stderr: stdout is the benchmark's summary.
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: dir,
    stdio: ['ignore', 2, 2],
  });
  if (npm.status !== 0) throw new Error(`npm install in ${dir} failed (exit ${npm.status ?? npm.signal})`);
  const after = installedVersions(dir, packages);
  const still = Object.entries(packages).filter(([pkg, version]) => after[pkg] !== version);
  if (still.length > 0) {
    throw new Error(`after npm install, ${still.map(([pkg]) => `${pkg}@${after[pkg] ?? 'missing'}`).join(', ')}`);
  }
  progress(`peer ${name}: installed`);
  return { dir, versions: { ...packages }, installed: true };
}

function describe(packages: Readonly<Record<string, string>>): string {
  return Object.entries(packages)
    .map(([pkg, version]) => `${pkg}@${version}`)
    .join(' + ');
}

export interface AptToolOptions {
  /** The command looked up on PATH. */
  binary: string;
  /** The Debian package that ships it. */
  aptPackage: string;
  progress(line: string): void;
}

/** The absolute path of `binary` on PATH, or null. */
export function which(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** The installed version of a Debian package, or null. */
export function aptVersion(aptPackage: string): string | null {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status}|${Version}', aptPackage], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [status, version] = out.split('|');
    return status?.endsWith(' installed') && version ? version : null;
  } catch {
    return null;
  }
}

function aptGet(args: string[]): number | null {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  return spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], env }).status;
}

/**
 * A command-line tool from Debian: found on PATH, else installed with apt-get (which needs root;
 * the package lists are refreshed once when the first attempt fails). Returns the binary's path.
 */
export function ensureAptTool(options: AptToolOptions): string {
  const { binary, aptPackage, progress } = options;
  const found = which(binary);
  if (found !== null) {
    progress(`${binary}: ${found} (${aptVersion(aptPackage) ?? 'not from apt'})`);
    return found;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`${binary} is not installed and installing it needs root: apt-get install ${aptPackage}`);
  }
  progress(`${binary}: installing the Debian package ${aptPackage} (apt-get)`);
  const install = ['install', '-y', '-q', '--no-install-recommends', aptPackage];
  if (aptGet(install) !== 0 && (aptGet(['update', '-q']) !== 0 || aptGet(install) !== 0)) {
    throw new Error(`apt-get install ${aptPackage} failed`);
  }
  const installed = which(binary);
  if (installed === null) throw new Error(`apt-get installed ${aptPackage}, yet ${binary} is not on PATH`);
  progress(`${binary}: installed ${aptVersion(aptPackage) ?? ''}`.trimEnd());
  return installed;
}

/** A server a benchmark started in its own process group, its output going to a log file. */
export interface BenchProcess {
  pid: number;
  /** Set once the process has exited. */
  exited: string | null;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /**
   * SIGTERM to its group, SIGKILL after a grace period; then kills whatever still runs with a
   * working directory under `scope` 2 s later (children that left the group and stayed behind)
   * and returns how many did.
   */
  stop(): Promise<number>;
}

export interface StartProcessOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Log file path. A file, not a pipe: draining a chatty server would cost the bench CPU. */
  log: string;
  /** Processes whose cwd is under this directory belong to the run. */
  scope: string;
}

const running = new Set<number>();
let exitHookArmed = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Should the bench die or be interrupted mid-run, no server it started outlives it. */
function armExitHook(): void {
  if (exitHookArmed) return;
  exitHookArmed = true;
  process.on('exit', () => {
    for (const pid of running) killGroup(pid, 'SIGKILL');
  });
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

export function startProcess(options: StartProcessOptions): BenchProcess {
  const { command, args, cwd, env, log, scope } = options;
  armExitHook();
  const fd = openSync(log, 'w');
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  running.add(pid);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      proc.exited = signal === null ? `exit ${code}` : signal;
      resolve();
    });
  });
  const proc: BenchProcess = {
    pid,
    exited: null,
    output: () => readFileSync(log, 'utf8'),
    async stop() {
      killGroup(pid, 'SIGTERM');
      const grace = setTimeout(() => killGroup(pid, 'SIGKILL'), 5_000);
      await exit;
      clearTimeout(grace);
      killGroup(pid, 'SIGKILL');
      running.delete(pid);
      // Children in groups of their own get a moment to follow their parent out.
      const settle = performance.now() + 2_000;
      while (processesUnder(scope).length > 0 && performance.now() < settle) await sleep(50);
      const leftovers = processesUnder(scope);
      for (const left of leftovers) {
        try {
          process.kill(left, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
      return leftovers.length;
    },
  };
  return proc;
}

export interface WaitForOptions {
  /** What is awaited, for the error message. */
  what: string;
  proc: BenchProcess;
  timeoutMs: number;
}

/**
 * Polls `probe` every 50 ms until it returns a value; fails when the process exits first or
 * after the timeout. Readiness is an answer from the server, never a fixed sleep.
 */
export async function waitFor<T>(options: WaitForOptions, probe: () => Promise<T | null>): Promise<T> {
  const { what, proc, timeoutMs } = options;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (proc.exited !== null) throw new Error(`it exited (${proc.exited}) before ${what}`);
    if (performance.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/**
 * Free TCP ports on 127.0.0.1 for a server that cannot take port 0: each is bound to port 0,
 * read back, and released. All are held at once so that the ports differ.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Node binaries on PATH outside any node_modules (the system's), resolved and deduplicated. */
export function systemNodes(): string[] {
  const found = new Set<string>();
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '' || dir.split(path.sep).includes('node_modules')) continue;
    try {
      const candidate = path.join(dir, 'node');
      accessSync(candidate, constants.X_OK);
      found.add(realpathSync(candidate));
    } catch {
      // no node here
    }
  }
  return [...found];
}
