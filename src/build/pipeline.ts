/**
 * The server's build: an uploaded archive becomes a runnable code directory and a zip artifact
 * in the blob store. Steps: receive (unpack), read the Procfile and laambda.json, dependencies
 * (from the cache when the manifests are unchanged), bundle TypeScript handlers, zip and store.
 * Each step is announced as a Heroku-style event; installer output comes as `log` events.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AppDefinition, FunctionDefinition } from '../core/app.ts';
import { LaambdaError } from '../core/errors.ts';
import type { BlobStore } from '../core/platform.ts';
import { loadLocalApp } from './app.ts';
import { zipDirectory } from './artifact.ts';
import {
  type DependencyKind,
  installToCache,
  isCached,
  materializeDependencies,
  planDependencies,
} from './dependencies.ts';
import { MAX_UNPACKED_BYTES, extractArchive, formatSize } from './source.ts';
import { type BuiltHandler, createTypeScriptBuilder } from './typescript.ts';

export interface BuildEvent {
  type: 'step' | 'log';
  /** receive | functions | dependencies | typescript | artifact */
  step: string;
  /** The text alone; formatBuildEvent adds Heroku's `-----> ` or indent. */
  message: string;
}

export interface BuildOptions {
  archive: AsyncIterable<Uint8Array>;
  gzip: boolean;
  /** An empty directory owned by this build; the code goes to workDir/code. */
  workDir: string;
  /** Persistent cache root (DATA_DIR/cache). */
  cacheDir: string;
  blobs: BlobStore;
  /** The Python interpreter, resolved lazily (only python apps need it). */
  python: () => string;
  /** PATH and the like for npm and pip. */
  hostEnv: NodeJS.ProcessEnv;
  onEvent(event: BuildEvent): void;
}

export type DependencyOutcome = 'none' | 'cache-hit' | 'installed';

export interface BuildOutput {
  artifact: { digest: string; size: number };
  /** From the built code: TypeScript handlers point at their bundles; dir is codeDir. */
  definition: AppDefinition;
  /** The built tree, ready to run as LAMBDA_TASK_ROOT (the caller moves it into place). */
  codeDir: string;
  dependencies: DependencyOutcome;
  durationMs: number;
}

/** Where TypeScript bundles go inside the code directory (so they ship in the artifact). */
export const BUNDLE_DIR = '.laambda/build';

/** An event as a line of build output: `-----> Step` or an indented installer line. */
export function formatBuildEvent(event: BuildEvent): string {
  return event.type === 'step' ? `-----> ${event.message}` : `       ${event.message}`;
}

type Emit = (type: BuildEvent['type'], step: string, message: string) => void;

function describeFunctions(app: AppDefinition): string {
  return app.functions.map((fn) => `${fn.name} (${fn.runtime}, ${fn.handler})`).join(', ');
}

/** Which dependency kinds the functions need: node for nodejs functions, python for python ones. */
function kindsNeeded(app: AppDefinition): DependencyKind[] {
  const runtimes = new Set(app.functions.map((fn) => fn.runtime));
  return [...(runtimes.has('nodejs') ? (['node'] as const) : []), ...(runtimes.has('python') ? (['python'] as const) : [])];
}

async function dependenciesStep(app: AppDefinition, options: BuildOptions, emit: Emit): Promise<DependencyOutcome> {
  const codeDir = app.dir;
  let outcome: DependencyOutcome = 'none';
  for (const kind of kindsNeeded(app)) {
    const plan = await planDependencies({ kind, codeDir, python: options.python, hostEnv: options.hostEnv });
    if (plan === undefined) continue;
    const short = plan.key.slice(0, 8);
    if (await isCached(options.cacheDir, plan)) {
      emit('step', 'dependencies', `Dependencies: cache hit (${plan.tool}, ${short})`);
      if (outcome === 'none') outcome = 'cache-hit';
    } else {
      emit('step', 'dependencies', `Installing dependencies: ${plan.display}`);
      await installToCache(plan, {
        codeDir,
        cacheDir: options.cacheDir,
        python: options.python,
        hostEnv: options.hostEnv,
        onLine: (line) => emit('log', 'dependencies', line),
      });
      emit('log', 'dependencies', `cached as ${short}`);
      outcome = 'installed';
    }
    if (kind === 'node' && existsSync(path.join(codeDir, 'node_modules'))) {
      emit('log', 'dependencies', 'replacing the uploaded node_modules with the installed one');
    }
    const linked = await materializeDependencies(plan, options.cacheDir, codeDir);
    if (linked.kept.length > 0) {
      const some = linked.kept.slice(0, 3).join(', ') + (linked.kept.length > 3 ? ', …' : '');
      emit('log', 'dependencies', `kept the app's own ${linked.kept.length} file(s) over installed ones: ${some}`);
    }
  }
  if (outcome === 'none') emit('step', 'dependencies', 'Dependencies: none');
  return outcome;
}

/**
 * The builder names a bundle's directory after the source's absolute path, which differs in
 * every build's workDir; named after the module's path inside the app instead, the same code
 * gives the same artifact digest and handler. Same depth, so the source map's relative paths hold.
 */
function stableBundleName(bundleDir: string, handler: string): string {
  const source = path.posix.basename(bundleDir).replace(/-[0-9a-f]{8}$/, '');
  // The module path tells apart sources whose names read the same once sanitised (a/b.ts, a-b.ts).
  const base = path.posix.basename(handler);
  const modulePath = path.posix.join(path.posix.dirname(handler), base.slice(0, base.indexOf('.')));
  return path.posix.join(BUNDLE_DIR, `${source}-${createHash('sha256').update(modulePath).digest('hex').slice(0, 8)}`);
}

/** Bundles each TypeScript handler into the code directory and points the function at it. */
async function typescriptStep(app: AppDefinition, emit: Emit): Promise<FunctionDefinition[]> {
  const builder = createTypeScriptBuilder({ appDir: app.dir, outDir: path.join(app.dir, BUNDLE_DIR) });
  const built = new Map<FunctionDefinition, BuiltHandler>();
  try {
    for (const fn of app.functions) {
      if (fn.runtime === 'nodejs' && builder.isTypeScript(fn.handler)) {
        built.set(fn, await builder.build(fn.handler, { environment: fn.environment }));
      }
    }
  } finally {
    await builder.dispose();
  }
  // Renamed once every bundle is written: functions sharing a module share its bundle.
  const renamed = new Map<string, string>();
  const functions: FunctionDefinition[] = [];
  for (const fn of app.functions) {
    const bundle = built.get(fn);
    if (bundle === undefined) {
      functions.push(fn);
      continue;
    }
    const bundleDir = bundle.handler.slice(0, bundle.handler.lastIndexOf('/'));
    let stable = renamed.get(bundleDir);
    if (stable === undefined) {
      stable = stableBundleName(bundleDir, fn.handler);
      await rename(path.join(app.dir, bundleDir), path.join(app.dir, stable));
      renamed.set(bundleDir, stable);
    }
    const handler = `${stable}/${bundle.handler.slice(bundleDir.length + 1)}`;
    emit('step', 'typescript', `Bundling TypeScript: ${fn.name} → ${handler}`);
    for (const warning of bundle.warnings) emit('log', 'typescript', `warning: ${warning}`);
    functions.push({ ...fn, handler, environment: bundle.environment });
  }
  return functions;
}

async function build(options: BuildOptions, emit: Emit, started: number): Promise<BuildOutput> {
  const codeDir = path.join(path.resolve(options.workDir), 'code');
  const received = await extractArchive({ archive: options.archive, gzip: options.gzip, dir: codeDir });
  emit('step', 'receive', `Receiving app (${received.files} files, ${formatSize(received.bytes)})`);
  if (existsSync(path.join(codeDir, '.laambda'))) {
    // laambda dev's local data (deps, bundles) is not code; the build makes its own.
    await rm(path.join(codeDir, '.laambda'), { recursive: true, force: true });
    emit('log', 'receive', 'ignoring the uploaded .laambda/ (local data of laambda dev)');
  }

  const app = loadLocalApp(codeDir);
  emit('step', 'functions', `Functions: ${describeFunctions(app)}`);

  const dependencies = await dependenciesStep(app, options, emit);
  const functions = await typescriptStep(app, emit);

  const zipFile = path.join(options.workDir, `artifact-${randomBytes(4).toString('hex')}.zip`);
  try {
    await zipDirectory(codeDir, zipFile, { maxBytes: MAX_UNPACKED_BYTES });
    const artifact = await options.blobs.putFile(zipFile);
    emit('step', 'artifact', `Artifact: ${formatSize(artifact.size)}, sha256:${artifact.digest.slice(0, 8)}…`);
    return {
      artifact,
      definition: { ...app, functions },
      codeDir,
      dependencies,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(zipFile, { force: true });
  }
}

/**
 * Builds an uploaded app. Throws ERR_BUILD_SOURCE_INVALID (archive), ERR_APP_* (Procfile,
 * laambda.json, runtimes), ERR_BUILD_DEPENDENCIES_FAILED (installer, with its last lines) or
 * ERR_BUILD_TYPESCRIPT; anything else as ERR_PLATFORM_INTERNAL. workDir/code is left in place.
 */
export async function runBuild(options: BuildOptions): Promise<BuildOutput> {
  const started = performance.now();
  const emit: Emit = (type, step, message) => options.onEvent({ type, step, message });
  try {
    return await build(options, emit, started);
  } catch (error) {
    if (error instanceof LaambdaError) throw error;
    throw new LaambdaError('ERR_PLATFORM_INTERNAL', `the build failed: ${(error as Error).message}`, { cause: error });
  }
}
