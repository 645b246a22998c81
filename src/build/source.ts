/**
 * The uploaded source of a build: a tar (optionally gzip) of the app directory, from
 * `laambda deploy` or `git archive --format=tar`, unpacked into the build's code directory.
 *
 * Nothing in the archive may land outside that directory: entries with `..` or absolute paths,
 * hard links to outside, symlinks pointing outside and device files are refused, not skipped,
 * so a deploy never silently loses files. File modes are kept (an executable `bootstrap`).
 */
import { lstat, mkdir, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { type ReadEntry, Unpack } from 'tar';
import { LaambdaError } from '../core/errors.ts';

/** Lambda's limit on a function's unzipped code, dependencies included. */
export const MAX_UNPACKED_BYTES = 250 * 1024 * 1024;

export interface ExtractOptions {
  archive: AsyncIterable<Uint8Array>;
  /** The upload is gzip-compressed (the format is also sniffed; this names it in errors). */
  gzip: boolean;
  /** Where the files go; created when missing. */
  dir: string;
  /** Most bytes of file content the archive may unpack to; default MAX_UNPACKED_BYTES. */
  maxBytes?: number;
}

export interface ExtractResult {
  /** Regular files (hard links included). */
  files: number;
  /** Their total size. */
  bytes: number;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const ALLOWED_TYPES = new Set([...FILE_TYPES, 'Directory', 'GNUDumpDir', 'SymbolicLink', 'Link']);

function sourceInvalid(message: string, cause?: unknown): LaambdaError {
  return new LaambdaError('ERR_BUILD_SOURCE_INVALID', message, cause === undefined ? {} : { cause });
}

/** True when the relative path `relative` (posix) stays inside its root. */
export function staysInside(relative: string): boolean {
  const normal = path.posix.normalize(relative);
  return normal !== '..' && !normal.startsWith('../') && !path.posix.isAbsolute(normal);
}

function isAbsoluteName(name: string): boolean {
  return name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name) || name.startsWith('\\');
}

/** Why an entry is refused, or undefined when it may be unpacked. */
function entryProblem(entry: ReadEntry): string | undefined {
  const name = entry.path;
  if (isAbsoluteName(name)) return `"${name}" has an absolute path`;
  if (name.split(/[\\/]/).includes('..')) return `"${name}" points outside the app directory (..)`;
  if (!ALLOWED_TYPES.has(entry.type)) {
    const what = ['CharacterDevice', 'BlockDevice', 'FIFO'].includes(entry.type) ? 'a device file or pipe' : `an unsupported entry (${entry.type})`;
    return `"${name}" is ${what}; only files, directories and links are allowed`;
  }
  const target = entry.linkpath === undefined ? '' : String(entry.linkpath);
  if (entry.type === 'Link' && (isAbsoluteName(target) || !staysInside(target))) {
    return `"${name}" is a hard link to "${target}", outside the app directory`;
  }
  if (entry.type === 'SymbolicLink') {
    const resolved = path.posix.join(path.posix.dirname(path.posix.normalize(name)), target);
    if (isAbsoluteName(target) || !staysInside(resolved)) {
      return `"${name}" is a symbolic link to "${target}", outside the app directory`;
    }
  }
  return undefined;
}

/**
 * A symlink checked on its own may still escape through another one (`a -> .`, `b -> a/..`):
 * once everything is unpacked, every link must really resolve inside `dir` (or nowhere).
 */
export async function checkLinksResolveInside(dir: string, links: string[]): Promise<void> {
  const root = await realpath(dir);
  for (const link of links) {
    let target: string;
    try {
      target = await realpath(path.join(dir, link));
    } catch {
      continue; // dangling: it reaches nothing
    }
    const relative = path.relative(root, target);
    if (relative !== '' && !staysInside(relative.split(path.sep).join('/'))) {
      throw sourceInvalid(`"${link}" is a symbolic link that resolves outside the app directory`);
    }
  }
}

/** `3.4 KB`, `1.2 MB`: sizes as build output shows them. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function checkProcfile(dir: string): Promise<void> {
  const stat = await lstat(path.join(dir, 'Procfile')).catch(() => undefined);
  if (stat?.isFile()) return;
  if (stat !== undefined) throw sourceInvalid('the Procfile at the top of the archive is not a regular file');
  const top = await readdir(dir, { withFileTypes: true });
  const only = top.length === 1 && top[0]!.isDirectory() ? top[0]!.name : undefined;
  const hint =
    only !== undefined && (await lstat(path.join(dir, only, 'Procfile')).catch(() => undefined)) !== undefined
      ? ` (it is in "${only}/": archive the contents of the app directory, not the directory itself)`
      : '';
  throw sourceInvalid(`the archive has no Procfile at its top level${hint}`);
}

function describeTarError(error: NodeJS.ErrnoException & { tarCode?: string }, gzip: boolean): string {
  const format = gzip ? 'gzip-compressed tar' : 'tar';
  if (error.code === 'Z_DATA_ERROR' || error.code === 'Z_BUF_ERROR' || /zlib|incorrect header|unexpected end/i.test(error.message)) {
    return `the upload is not a valid ${format} archive (${error.message})`;
  }
  if (error.tarCode === 'TAR_BAD_ARCHIVE' || error.tarCode === 'TAR_ENTRY_INVALID') {
    return `the upload is not a valid ${format} archive (${error.message.replace(/^TAR_[A-Z_]+: /, '')})`;
  }
  if (error.code === 'TAR_SYMLINK_ERROR' || /symbolic link/i.test(error.message)) {
    return `the archive writes through a symbolic link: ${error.message}`;
  }
  return `cannot unpack the archive: ${error.message}`;
}

/**
 * Unpacks a tar or tar.gz stream into `dir`. Throws ERR_BUILD_SOURCE_INVALID for an entry
 * that would land outside `dir`, a device file, more than `maxBytes` of content, a corrupt
 * archive, or an archive without a Procfile at its top level.
 */
export async function extractArchive(options: ExtractOptions): Promise<ExtractResult> {
  const dir = path.resolve(options.dir);
  const maxBytes = options.maxBytes ?? MAX_UNPACKED_BYTES;
  await mkdir(dir, { recursive: true });
  let files = 0;
  let bytes = 0;
  let refused: LaambdaError | undefined;
  const links: string[] = [];
  const unpack: Unpack = new Unpack({
    cwd: dir,
    strict: true,
    preserveOwner: false,
    // Only tar and tar.gz are accepted: without these, tar guesses brotli for any non-tar bytes.
    brotli: false,
    zstd: false,
    filter: (_name, entry) => {
      if (refused !== undefined) return false;
      const readEntry = entry as ReadEntry;
      const problem = entryProblem(readEntry);
      if (problem === undefined && FILE_TYPES.has(readEntry.type)) bytes += readEntry.size;
      const tooLarge = bytes > maxBytes ? `the app unpacks to more than ${formatSize(maxBytes)} (Lambda's limit on unzipped code)` : undefined;
      if (problem !== undefined || tooLarge !== undefined) {
        refused = sourceInvalid(problem === undefined ? tooLarge! : `the archive is refused: ${problem}`);
        unpack.abort(refused);
        return false;
      }
      if (FILE_TYPES.has(readEntry.type) || readEntry.type === 'Link') files += 1;
      if (readEntry.type === 'SymbolicLink') links.push(path.posix.normalize(readEntry.path));
      return true;
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    unpack.on('error', reject);
    unpack.on('close', resolve);
    unpack.on('end', resolve);
  });
  done.catch(() => {}); // observed below; an early failure must not be unhandled meanwhile
  try {
    for await (const chunk of options.archive) {
      if (refused !== undefined) break;
      if (!unpack.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        await Promise.race([new Promise((resolve) => unpack.once('drain', resolve)), done]);
      }
    }
    unpack.end();
    await done;
  } catch (error) {
    if (refused !== undefined) throw refused;
    if (error instanceof LaambdaError) throw error;
    throw sourceInvalid(describeTarError(error as NodeJS.ErrnoException, options.gzip), error);
  }
  if (refused !== undefined) throw refused;
  await checkLinksResolveInside(dir, links);
  await checkProcfile(dir);
  return { files, bytes };
}
