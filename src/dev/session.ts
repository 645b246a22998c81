import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadLocalApp } from '../build/app.ts';
import { createTypeScriptBuilder, type TypeScriptBuilder } from '../build/typescript.ts';
import type { AppDefinition, FunctionDefinition } from '../core/app.ts';
import { LaambdaError } from '../core/errors.ts';
import type { FunctionSpec } from '../core/function.ts';
import type { Clock } from '../core/ports.ts';
import type { Engine, FunctionError, InvokeRequest, InvokeResult } from '../runtime/index.ts';
import { type DependencyKind, installDependencies, manifestHash, NODE_MANIFESTS, pythonDepsDir, PYTHON_MANIFESTS } from './deps.ts';
import { buildRoutes, type DevState, lambdaName, type RunnableFunction } from './state.ts';

/** What happens in a dev session, for the terminal (or `--json`). */
export type DevEvent =
  | { type: 'reloaded'; files: string[]; functions: string[]; ms: number }
  | { type: 'reload-failed'; files: string[]; error: Error }
  | { type: 'init-failed'; functionName: string; error: FunctionError; keptOld: boolean }
  | { type: 'build-failed'; functionName: string; error: Error; keptOld: boolean }
  | { type: 'installing'; kind: DependencyKind }
  | { type: 'install-output'; kind: DependencyKind; line: string }
  | { type: 'installed'; kind: DependencyKind; ms: number };

export interface DevSessionOptions {
  dir: string;
  /** Absolute data dir (`APP/.laambda` by default). */
  dataDir: string;
  engine: Engine;
  clock: Clock;
  hostEnv: NodeJS.ProcessEnv;
  python: () => string;
  onEvent(event: DevEvent): void;
}

/**
 * The app as `dev` runs it: its definition, the spec of each function's last good code, and
 * reloads that swap both atomically — new code is warmed first and only then takes traffic.
 */
export class DevSession {
  readonly #options: DevSessionOptions;
  readonly #builder: TypeScriptBuilder;
  #state: DevState | undefined;
  #revision = 0;
  #reloading: Promise<void> = Promise.resolve();
  #queued: Set<string> | undefined;
  readonly #installed = new Map<DependencyKind, string | undefined>();

  constructor(options: DevSessionOptions) {
    this.#options = options;
    this.#builder = createTypeScriptBuilder({ appDir: path.resolve(options.dir), outDir: path.join(options.dataDir, 'build') });
  }

  /** Loads the app and builds its handlers; throws when the app cannot start at all. */
  async start(): Promise<DevState> {
    const app = loadLocalApp(this.#options.dir);
    await this.#ensureDependencies(app, true);
    const functions = new Map<string, RunnableFunction>();
    for (const fn of app.functions) functions.set(fn.name, { definition: fn, spec: await this.#specFor(app, fn) });
    this.#state = { app, functions, routes: buildRoutes(app, this.#stateDeps()) };
    return this.#state;
  }

  get state(): DevState {
    if (this.#state === undefined) throw new LaambdaError('ERR_ENGINE_CLOSED', 'the dev session has not started');
    return this.#state;
  }

  /** Invokes a function of the current code by its Procfile (or full Lambda) name. */
  invoke(name: string, request: InvokeRequest): Promise<InvokeResult> {
    const state = this.state;
    const fn = state.functions.get(name) ?? [...state.functions.values()].find((f) => f.spec.name === name);
    if (fn === undefined) {
      return Promise.reject(
        new LaambdaError('ERR_APP_FUNCTION_NOT_FOUND', `no function "${name}" in ${state.app.dir}/Procfile (functions: ${[...state.functions.keys()].join(', ')})`),
      );
    }
    return this.#options.engine.invoke(fn.spec, request);
  }

  /** Applies changed files; reloads run one at a time and changes arriving meanwhile are merged. */
  reload(files: string[]): Promise<void> {
    if (this.#queued !== undefined) {
      for (const file of files) this.#queued.add(file);
      return this.#reloading;
    }
    const queued = new Set(files);
    this.#queued = queued;
    this.#reloading = this.#reloading.then(() => {
      this.#queued = undefined;
      return this.#apply([...queued]);
    });
    return this.#reloading;
  }

  async close(): Promise<void> {
    await this.#reloading;
    await this.#builder.dispose();
  }

  #stateDeps() {
    return {
      clock: this.#options.clock,
      invoke: (name: string, payload: string) => this.invoke(name, { payload }),
    };
  }

  async #apply(files: string[]): Promise<void> {
    const started = this.#options.clock.monotonic();
    const old = this.state;
    try {
      const app = loadLocalApp(this.#options.dir);
      if (files.some((file) => isManifest(file))) await this.#ensureDependencies(app, false);
      const candidates = await Promise.all(app.functions.map((fn) => this.#candidate(app, fn, old)));
      const functions = new Map<string, RunnableFunction>();
      for (const candidate of candidates) functions.set(candidate.definition.name, candidate);
      const next: DevState = { app, functions, routes: buildRoutes(app, this.#stateDeps()) };
      this.#state = next;
      await this.#retireOld(old, next);
      const changed = [...functions.values()].filter((fn) => fn.spec !== old.functions.get(fn.definition.name)?.spec);
      this.#options.onEvent({
        type: 'reloaded',
        files,
        functions: changed.map((fn) => fn.definition.name),
        ms: this.#options.clock.monotonic() - started,
      });
    } catch (error) {
      this.#options.onEvent({ type: 'reload-failed', files, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  /** The new code of one function if it builds and initialises, else its last good code. */
  async #candidate(app: AppDefinition, fn: FunctionDefinition, old: DevState): Promise<RunnableFunction> {
    const previous = old.functions.get(fn.name);
    let spec: FunctionSpec;
    try {
      spec = await this.#specFor(app, fn);
    } catch (error) {
      if (previous === undefined) throw error;
      this.#options.onEvent({ type: 'build-failed', functionName: fn.name, error: error as Error, keptOld: true });
      return previous;
    }
    const initError = await this.#options.engine.warm(spec);
    if (initError !== undefined) {
      // Keep serving the last good code until the error is fixed; a new function has none.
      this.#options.onEvent({ type: 'init-failed', functionName: fn.name, error: initError, keptOld: previous !== undefined });
      if (previous !== undefined) {
        await this.#options.engine.retire(spec.name, previous.spec);
        return previous;
      }
    }
    return { definition: fn, spec };
  }

  async #retireOld(old: DevState, next: DevState): Promise<void> {
    const retiring: Array<Promise<void>> = [];
    for (const [name, fn] of old.functions) {
      const replacement = next.functions.get(name);
      if (replacement === undefined || replacement.spec.name !== fn.spec.name) retiring.push(this.#options.engine.retire(fn.spec.name));
      else if (replacement.spec !== fn.spec) retiring.push(this.#options.engine.retire(fn.spec.name, replacement.spec));
    }
    // Old environments drain in the background: in-flight requests finish on the old code.
    void Promise.all(retiring);
  }

  async #specFor(app: AppDefinition, fn: FunctionDefinition): Promise<FunctionSpec> {
    const revision = String(++this.#revision);
    const environment: Record<string, string> = { ...fn.environment };
    let codeDir = app.dir;
    let handler = fn.handler;
    if (fn.runtime === 'nodejs' && this.#builder.isTypeScript(fn.handler)) {
      const built = await this.#builder.build(fn.handler, { environment });
      codeDir = built.codeDir;
      handler = built.handler;
      Object.assign(environment, built.environment);
    }
    if (fn.runtime === 'python' && existsSync(pythonDepsDir(this.#options.dataDir))) {
      environment.PYTHONPATH = pythonDepsDir(this.#options.dataDir);
    }
    return {
      name: lambdaName(app, fn),
      codeDir,
      handler,
      runtime: fn.runtime,
      environment,
      revision,
      ...(fn.memoryMB === undefined ? {} : { memoryMB: fn.memoryMB }),
      ...(fn.timeoutS === undefined ? {} : { timeoutS: fn.timeoutS }),
      ...(fn.concurrency === undefined ? {} : { concurrency: fn.concurrency }),
    };
  }

  /** Installs dependencies whose manifests changed since the last install (or never ran). */
  async #ensureDependencies(app: AppDefinition, starting: boolean): Promise<void> {
    for (const kind of ['node', 'python'] as const) {
      const hash = manifestHash(app.dir, kind);
      if (hash === undefined) continue;
      const stampFile = path.join(this.#options.dataDir, 'deps', `${kind}.sha256`);
      const stamp = this.#installed.get(kind) ?? readStamp(stampFile);
      if (stamp === hash) continue;
      if (starting && kind === 'node' && (existsSync(path.join(app.dir, 'node_modules')) || !declaresDependencies(app.dir))) {
        // The user installed them (or there are none): trust that until package.json changes.
        this.#remember(kind, stampFile, hash);
        continue;
      }
      const started = this.#options.clock.monotonic();
      this.#options.onEvent({ type: 'installing', kind });
      await installDependencies({
        appDir: app.dir,
        dataDir: this.#options.dataDir,
        kind,
        python: this.#options.python,
        hostEnv: this.#options.hostEnv,
        onLine: (line) => this.#options.onEvent({ type: 'install-output', kind, line }),
      });
      // npm rewrites the lockfile as it installs: stamp what is there afterwards.
      this.#remember(kind, stampFile, manifestHash(app.dir, kind));
      this.#options.onEvent({ type: 'installed', kind, ms: this.#options.clock.monotonic() - started });
    }
  }

  #remember(kind: DependencyKind, stampFile: string, hash: string | undefined): void {
    this.#installed.set(kind, hash);
    mkdirSync(path.dirname(stampFile), { recursive: true });
    writeFileSync(stampFile, hash ?? '');
  }
}

function readStamp(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function declaresDependencies(appDir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8')) as { dependencies?: object };
    return manifest.dependencies !== undefined && Object.keys(manifest.dependencies).length > 0;
  } catch {
    return false;
  }
}

function isManifest(file: string): boolean {
  return (NODE_MANIFESTS as readonly string[]).includes(file) || (PYTHON_MANIFESTS as readonly string[]).includes(file);
}
