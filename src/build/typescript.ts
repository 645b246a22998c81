/**
 * TypeScript handlers without a build step: a handler whose module is a `.ts`, `.mts` or `.cts`
 * file is bundled by esbuild into one ES module under the build directory, and the spec handed
 * to the engine points at that bundle while the app directory stays the task root.
 *
 * Dependencies in node_modules stay external (fast builds, native modules work) and resolve at
 * run time from the bundle's location. One esbuild context per source module is kept, so a
 * rebuild after a save costs a millisecond or two. A failed rebuild writes nothing: the last
 * good bundle keeps serving.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { context, type BuildContext, type Loader, type Message, type Plugin } from 'esbuild';
import { LaambdaError } from '../core/errors.ts';

export interface TypeScriptBuildOptions {
  /** The app directory: handlers resolve from it, and it stays the task root (LAMBDA_TASK_ROOT, cwd). */
  appDir: string;
  /** Where bundles go, e.g. `<dataDir>/build`; each source module gets its own subdirectory. */
  outDir: string;
}

export interface TypeScriptBuildRequest {
  /**
   * The function's own environment. The returned environment is a copy with
   * `--enable-source-maps` appended to its NODE_OPTIONS.
   */
  environment?: Record<string, string>;
}

/** What to put in the FunctionSpec in place of the app's own codeDir, handler and environment. */
export interface BuiltHandler {
  /** The app directory, unchanged: files relative to the task root still resolve. */
  codeDir: string;
  /** The bundle's handler relative to codeDir, e.g. `.laambda/build/src-api-users.ts-1a2b3c4d/users.get`. */
  handler: string;
  /** The caller's environment plus NODE_OPTIONS=--enable-source-maps, so stack traces name the .ts files. */
  environment: Record<string, string>;
  /** Absolute paths of the source files the bundle read, and the tsconfig.json files that shaped it. */
  inputs: string[];
  /** False when the bundle on disk already held exactly this output (nothing to reload). */
  changed: boolean;
  /** esbuild's warnings, as `file:line:column: text`. */
  warnings: string[];
}

export interface TypeScriptBuilder {
  /** True when the handler's module resolves to a .ts/.mts/.cts file (and to no .js/.mjs/.cjs, which the runtime loads first). */
  isTypeScript(handler: string): boolean;
  /**
   * Bundles the handler's module, or rebundles it incrementally. Throws ERR_BUILD_TYPESCRIPT
   * naming file:line:column on a syntax or resolve error, leaving the last good bundle in place.
   */
  build(handler: string, request?: TypeScriptBuildRequest): Promise<BuiltHandler>;
  /** Stops every esbuild context; waits for builds under way. */
  dispose(): Promise<void>;
}

// The runtime tries these before anything else (node.child.mjs), so a module that has one is not ours.
const JS_EXTENSIONS = ['.js', '.mjs', '.cjs'];
const TS_EXTENSIONS = ['.ts', '.mts', '.cts'];
const SOURCE_MAPS_FLAG = '--enable-source-maps';

// ES module output keeps `export const handler`, `export default` and top-level await working;
// code that calls require() (or a CommonJS .cts entry) gets a real require from the banner.
const REQUIRE_BANNER =
  "import { createRequire as __laambdaCreateRequire } from 'node:module'; const require = __laambdaCreateRequire(import.meta.url);";

const LOADERS: Record<string, Loader> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
};

interface ParsedHandler {
  /** Absolute directory of the module. */
  dir: string;
  moduleName: string;
  /** What follows the first dot: `handler`, or `api.get` for a nested export. */
  exportPath: string;
}

interface Entry {
  context: BuildContext<{ write: false; metafile: true }>;
  bundleDir: string;
  /** Builds of one module run one after another. */
  queue: Promise<unknown>;
}

/** Parses `dir/module.fn` as node.child.mjs does. */
function parseHandler(appDir: string, handler: string): ParsedHandler | undefined {
  const base = path.basename(handler);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) return undefined;
  const moduleRoot = handler.slice(0, handler.length - base.length);
  return { dir: path.resolve(appDir, moduleRoot), moduleName: base.slice(0, dot), exportPath: base.slice(dot + 1) };
}

function findSource(parsed: ParsedHandler): string | undefined {
  const base = path.join(parsed.dir, parsed.moduleName);
  if (JS_EXTENSIONS.some((ext) => existsSync(base + ext))) return undefined;
  return TS_EXTENSIONS.map((ext) => base + ext).find((file) => existsSync(file));
}

function isInside(dir: string, target: string): boolean {
  const relative = path.relative(dir, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** A copy of `environment` whose NODE_OPTIONS turns source maps on (unless it says otherwise already). */
export function withSourceMaps(environment: Record<string, string> = {}): Record<string, string> {
  const existing = (environment.NODE_OPTIONS ?? '').trim();
  const flags = existing.split(/\s+/);
  if (flags.includes(SOURCE_MAPS_FLAG) || flags.includes('--no-enable-source-maps')) return { ...environment };
  return { ...environment, NODE_OPTIONS: existing === '' ? SOURCE_MAPS_FLAG : `${existing} ${SOURCE_MAPS_FLAG}` };
}

/** `file:line:column: text`, with a 1-based column as editors count them. */
export function formatMessage(message: Message): string {
  const where = message.location;
  if (where === null) return message.text;
  return `${where.file}:${where.line}:${where.column + 1}: ${message.text}`;
}

function buildFailed(sourceName: string, errors: Message[], cause: unknown): LaambdaError {
  const first = errors[0] === undefined ? 'unknown error' : formatMessage(errors[0]);
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new LaambdaError('ERR_BUILD_TYPESCRIPT', `cannot build ${sourceName}: ${first}${more}`, {
    cause,
    details: {
      errors: errors.map((message) => ({
        file: message.location?.file,
        line: message.location?.line,
        column: message.location === null ? undefined : message.location.column + 1,
        text: message.text,
      })),
    },
  });
}

function disposedError(): LaambdaError {
  return new LaambdaError('ERR_PLATFORM_INTERNAL', 'the TypeScript builder was used after dispose()');
}

function isBuildFailure(error: unknown): error is { errors: Message[] } {
  return typeof error === 'object' && error !== null && Array.isArray((error as { errors?: unknown }).errors);
}

/**
 * `import.meta.url`, `.dirname` and `.filename` keep naming the source file, as they do when
 * Node runs the .ts file itself, so `new URL('./data.json', import.meta.url)` still finds data
 * beside the handler. The replacement stays on its line, so stack traces keep their lines.
 */
function sourceLocationPlugin(): Plugin {
  return {
    name: 'laambda-source-location',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (args.path.split(path.sep).includes('node_modules')) return undefined;
        const text = await readFile(args.path, 'utf8');
        const loader = LOADERS[path.extname(args.path)];
        if (!text.includes('import.meta')) return { contents: text, loader };
        const values: Record<string, string> = {
          url: pathToFileURL(args.path).href,
          dirname: path.dirname(args.path),
          filename: args.path,
        };
        const contents = text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key: string) =>
          JSON.stringify(values[key]),
        );
        return { contents, loader };
      });
    },
  };
}

/** Writes `content` unless the file already holds it; via a rename, so a starting process never reads half a file. */
async function writeIfChanged(file: string, content: Uint8Array): Promise<boolean> {
  const existing = await readFile(file).catch(() => undefined);
  if (existing !== undefined && Buffer.compare(existing, content) === 0) return false;
  const temporary = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
  return true;
}

/** tsconfig.json files from the entry's directory up to the app directory: esbuild reads them too. */
function tsconfigFiles(appDir: string, source: string): string[] {
  const found: string[] = [];
  for (let dir = path.dirname(source); isInside(appDir, dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'tsconfig.json');
    if (existsSync(file)) found.push(file);
    if (dir === appDir) break;
  }
  return found;
}

export function createTypeScriptBuilder(options: TypeScriptBuildOptions): TypeScriptBuilder {
  const appDir = path.resolve(options.appDir);
  const outDir = path.resolve(options.outDir);
  const entries = new Map<string, Entry>();
  let disposed = false;
  let modulesLinked: Promise<void> | undefined;

  // A bundle resolves its bare imports by walking up from its own directory; outside the app
  // that walk never meets APP/node_modules (and ES modules ignore NODE_PATH), so link it in.
  function linkModules(): Promise<void> {
    if (isInside(appDir, outDir)) return Promise.resolve();
    modulesLinked ??= symlink(path.join(appDir, 'node_modules'), path.join(outDir, 'node_modules'), 'dir').catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
    return modulesLinked;
  }

  async function entryFor(source: string, moduleName: string): Promise<Entry> {
    const known = entries.get(source);
    if (known !== undefined) return known;
    const relative = path.relative(appDir, source);
    const hash = createHash('sha256').update(source).digest('hex').slice(0, 8);
    const bundleDir = path.join(outDir, `${relative.replace(/[^A-Za-z0-9._-]+/g, '-')}-${hash}`);
    const buildContext = await context({
      entryPoints: [source],
      absWorkingDir: appDir,
      outfile: path.join(bundleDir, `${moduleName}.mjs`),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      packages: 'external',
      sourcemap: 'linked',
      banner: { js: REQUIRE_BANNER },
      plugins: [sourceLocationPlugin()],
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
    // Another build of the same module may have raced this one through the await.
    const raced = entries.get(source);
    if (raced !== undefined || disposed) {
      await buildContext.dispose();
      if (raced === undefined) throw disposedError();
      return raced;
    }
    const entry: Entry = { context: buildContext, bundleDir, queue: Promise.resolve() };
    entries.set(source, entry);
    return entry;
  }

  async function rebuild(entry: Entry, source: string): Promise<{ inputs: string[]; changed: boolean; warnings: string[] }> {
    let result;
    try {
      result = await entry.context.rebuild();
    } catch (error) {
      if (isBuildFailure(error)) throw buildFailed(path.relative(appDir, source), error.errors, error);
      throw new LaambdaError('ERR_PLATFORM_INTERNAL', `esbuild failed on ${source}: ${String(error)}`, { cause: error });
    }
    await mkdir(entry.bundleDir, { recursive: true });
    await linkModules();
    // The map first: the bundle that names it must never be there without it.
    const files = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')));
    let changed = false;
    for (const file of files) changed = (await writeIfChanged(file.path, file.contents)) || changed;
    const inputs = Object.keys(result.metafile.inputs).map((input) => path.resolve(appDir, input));
    return {
      inputs: [...inputs, ...tsconfigFiles(appDir, source)],
      changed,
      warnings: result.warnings.map(formatMessage),
    };
  }

  return {
    isTypeScript(handler) {
      const parsed = parseHandler(appDir, handler);
      return parsed !== undefined && findSource(parsed) !== undefined;
    },

    async build(handler, request = {}) {
      if (disposed) throw disposedError();
      const parsed = parseHandler(appDir, handler);
      const source = parsed === undefined ? undefined : findSource(parsed);
      if (parsed === undefined || source === undefined) {
        throw new LaambdaError('ERR_BUILD_TYPESCRIPT', `handler ${handler} does not name a .ts, .mts or .cts module in ${appDir}`);
      }
      const entry = await entryFor(source, parsed.moduleName);
      const run = entry.queue.then(() => rebuild(entry, source));
      entry.queue = run.catch(() => {});
      const built = await run;
      const moduleRoot = path.relative(appDir, entry.bundleDir).split(path.sep).join('/');
      return {
        codeDir: appDir,
        handler: `${moduleRoot}/${parsed.moduleName}.${parsed.exportPath}`,
        environment: withSourceMaps(request.environment),
        ...built,
      };
    },

    async dispose() {
      disposed = true;
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map(async (entry) => {
        await entry.queue;
        await entry.context.dispose();
      }));
    },
  };
}
