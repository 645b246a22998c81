// `laambda deploy` packs the app directory as git would see it: a gzip tar of the files that
// .gitignore and .laambdaignore do not exclude, without the state laambda and installers keep.
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import ignore, { type Ignore } from 'ignore';
import { create } from 'tar';
import { LaambdaError } from '../core/errors.ts';

/** Directories never packed, at any depth: VCS and laambda state, installed deps, bytecode. */
const ALWAYS_EXCLUDED = new Set(['.git', '.laambda', 'node_modules', '__pycache__']);

/** Ignore files read in every directory; later files win, so .laambdaignore can re-include. */
const IGNORE_FILES = ['.gitignore', '.laambdaignore'];

export interface PackedDirectory {
  /**
   * A gzip tar of `files`, produced as it is read. Modes are kept (executable bits included),
   * normalised as `tar --portable` does: owner-writable, never group- or world-writable; owners
   * are dropped.
   */
  stream: Readable;
  /** Packed paths relative to the directory, POSIX separators, sorted. */
  files: string[];
  /** Total size of the packed files before compression. */
  bytes: number;
}

interface Matcher {
  /** The directory the rules are relative to, POSIX, '' for the root. */
  base: string;
  rules: Ignore;
}

async function readMatcher(dir: string, base: string): Promise<Matcher | undefined> {
  const rules = ignore();
  let found = false;
  for (const name of IGNORE_FILES) {
    const text = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    rules.add(text);
    found = true;
  }
  return found ? { base, rules } : undefined;
}

/** Git's precedence: a deeper ignore file overrides a shallower one; a later rule an earlier. */
function isIgnored(matchers: Matcher[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, rules } of matchers) {
    const local = base === '' ? rel : rel.slice(base.length + 1);
    const result = rules.test(isDir ? `${local}/` : local);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

async function walk(root: string, rel: string, matchers: Matcher[], out: { files: string[]; bytes: number }): Promise<void> {
  const dir = path.join(root, rel);
  const own = await readMatcher(dir, rel);
  const chain = own === undefined ? matchers : [...matchers, own];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      if (ALWAYS_EXCLUDED.has(entry.name) || isIgnored(chain, child, true)) continue;
      await walk(root, child, chain, out);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      if (isIgnored(chain, child, false)) continue;
      out.files.push(child);
      // Symlinks are packed as links (never followed), so count the link, not its target.
      out.bytes += entry.isFile() ? (await lstat(path.join(root, child))).size : 0;
    }
  }
}

/** Lists the files of `dir` an upload should hold (see the module comment), without reading them. */
export async function listPackFiles(dir: string): Promise<{ files: string[]; bytes: number }> {
  const out = { files: [] as string[], bytes: 0 };
  await walk(path.resolve(dir), '', [], out);
  return out;
}

/** A gzip tar of an app directory honouring .gitignore (root and nested) and .laambdaignore. */
export async function packDirectory(dir: string): Promise<PackedDirectory> {
  const cwd = path.resolve(dir);
  const { files, bytes } = await listPackFiles(cwd);
  if (files.length === 0) {
    throw new LaambdaError('ERR_BUILD_SOURCE_INVALID', `nothing to pack in ${cwd}: it is empty or every file is ignored`);
  }
  // An explicit file list keeps tar from recursing into directories we excluded.
  const pack = create({ cwd, gzip: true, portable: true, follow: false }, files);
  const stream = Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
  return { stream, files, bytes };
}
