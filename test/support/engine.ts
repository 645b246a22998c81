/**
 * Helpers for the runtime engine's integration tests: temp dirs and fixture apps owned by one
 * test, engines whose every environment process is remembered, and the check that none of
 * those processes outlived `engine.close()`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createEngine,
  type Engine,
  type EngineOptions,
  type FunctionSpec,
  type InvokeResult,
  type LogRecord,
} from '../../src/runtime/index.ts';

/** A file of a fixture app: its text, or its text and mode (e.g. 0o755 for a bootstrap). */
export type AppFile = string | { content: string; mode: number };

/** Relative path (may hold directories) → file. */
export type AppFiles = Record<string, AppFile>;

export interface TrackedEngine {
  engine: Engine;
  dataDir: string;
  /** Every line the engine logged, unless the caller passed its own onLog. */
  logs: LogRecord[];
  /** The lines logged for one invocation. */
  linesOf(requestId: string): LogRecord[];
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said when the deadline passes. */
  message?: string;
}

/**
 * Polls `condition` until it holds; fails after a bounded deadline. For conditions that have no
 * event to wait on (pool stats, a file another process writes, a pid that must be gone).
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 10, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Writes the files below `dir`, creating directories and setting modes. */
export async function writeFiles(dir: string, files: AppFiles): Promise<void> {
  for (const [relative, file] of Object.entries(files)) {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    const content = typeof file === 'string' ? file : file.content;
    await writeFile(target, content);
    if (typeof file !== 'string') await chmod(target, file.mode);
  }
}

/** The invocation's payload, parsed as JSON. */
export function json(res: InvokeResult): any {
  return JSON.parse(res.payload.toString('utf8'));
}

/** Fails with the function's error payload when the invocation did not succeed. */
export function ok(res: InvokeResult): void {
  assert.equal(res.error, undefined, `unexpected function error: ${res.payload.toString('utf8')}`);
}

/** A Node.js function spec with test-friendly defaults. */
export function nodeFunction(name: string, codeDir: string, extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return { name, codeDir, handler: 'index.handler', runtime: 'nodejs', timeoutS: 10, ...extra };
}

/**
 * The resources one test file uses: every temp dir and engine it makes is cleaned up by
 * `cleanup()`, which also asserts that no environment process outlived `engine.close()`.
 * Call it from the file's `after` hook.
 */
export class EngineHarness {
  readonly #dirs: string[] = [];
  readonly #engines: Engine[] = [];
  readonly #stops: Array<() => void> = [];
  /** Every environment pid any engine reported while a test ran. */
  readonly pids = new Set<number>();

  /** A fresh directory under the OS temp dir, owned by the calling test. */
  async dir(prefix = 'laambda-test-'): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  /** Writes a fixture app into a fresh temp dir and returns the dir. */
  async app(files: AppFiles): Promise<string> {
    const dir = await this.dir('laambda-app-');
    await writeFiles(dir, files);
    return dir;
  }

  /** Starts an engine with its own data dir; the pids of its environments are remembered. */
  async engine(options: Partial<EngineOptions> = {}): Promise<TrackedEngine> {
    const dataDir = await this.dir('laambda-data-');
    const logs: LogRecord[] = [];
    let engine: Engine | undefined;
    const sample = (): void => {
      for (const pid of engine?.pids() ?? []) this.pids.add(pid);
    };
    const userLog = options.onLog;
    engine = await createEngine({
      ...options,
      dataDir,
      onLog: (record) => {
        sample();
        if (userLog !== undefined) userLog(record);
        else logs.push(record);
      },
    });
    // Environments that print nothing are caught by polling as well.
    const timer = setInterval(sample, 5);
    timer.unref();
    this.#stops.push(() => clearInterval(timer));
    const inner = engine;
    const wrapped: Engine = {
      ...inner,
      invoke: (spec, request) => {
        const pending = inner.invoke(spec, request);
        sample();
        return pending.finally(sample);
      },
      prepare: (spec) => {
        inner.prepare(spec);
        sample();
      },
      close: () => {
        sample();
        return inner.close();
      },
    };
    this.#engines.push(wrapped);
    return {
      engine: wrapped,
      dataDir,
      logs,
      linesOf: (requestId) => logs.filter((record) => record.requestId === requestId),
    };
  }

  /** Closes every engine, asserts that none of their processes is alive, removes the temp dirs. */
  async cleanup(): Promise<void> {
    try {
      await Promise.all(this.#engines.map((engine) => engine.close()));
      for (const stop of this.#stops) stop();
      const survivors = [...this.pids].filter(isAlive);
      assert.deepEqual(survivors, [], `environment processes outlived engine.close(): ${survivors.join(', ')}`);
    } finally {
      await Promise.all(this.#dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    }
  }
}

/**
 * CommonJS source of two helpers fixture handlers use to coordinate with a test without timing:
 * `arrive(dir, parties)` marks this invocation as running and waits until `parties` have arrived;
 * `waitForFile(file)` waits until the test creates `file`. Both give up after 10 s.
 */
export const COORDINATION_CJS = `
const coordinationFs = require('node:fs');
const coordinationPath = require('node:path');
async function pollUntil(check, what) {
  const deadline = Date.now() + 10000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('gave up waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
async function arrive(dir, parties) {
  coordinationFs.writeFileSync(coordinationPath.join(dir, process.pid + '-' + Math.random()), '');
  await pollUntil(() => coordinationFs.readdirSync(dir).length >= parties, parties + ' parties in ' + dir);
}
function waitForFile(file) {
  return pollUntil(() => coordinationFs.existsSync(file), file);
}
`;
