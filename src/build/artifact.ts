/**
 * Code artifacts: a built code directory as a Lambda-style zip, and back.
 *
 * The zip is reproducible: entries in byte order of their paths, one fixed timestamp, unix
 * modes in the external attributes, so the same tree always has the same sha256 and a
 * redeploy of unchanged code stores nothing new. Symbolic links that stay inside the tree
 * are kept as links (node_modules/.bin); others are stored as the file they point to.
 */
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readlink, realpath, stat, symlink } from 'node:fs/promises';
import { setImmediate } from 'node:timers/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { LaambdaError } from '../core/errors.ts';
import { checkLinksResolveInside, formatSize, staysInside } from './source.ts';

export interface ArtifactStats {
  /** Regular files (symbolic links not counted). */
  files: number;
  /** Their total uncompressed size. */
  bytes: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

// Local-time fields, with the DOS timestamp alone, give the same bytes in every time zone.
const FIXED_MTIME = new Date(2020, 0, 1, 0, 0, 0);
const TIME = { mtime: FIXED_MTIME, forceDosTimestamp: true } as const;

// Deflating what is already compressed costs time and saves nothing.
const STORED_EXTENSIONS = new Set(['.gz', '.tgz', '.zip', '.whl', '.jar', '.png', '.jpg', '.jpeg', '.gif', '.webp', '.br', '.zst', '.xz', '.bz2', '.woff', '.woff2']);
// Measured on node_modules/zod (840 files, 6.1 MB): level 1 makes 1.73 MB in ~250 ms of CPU,
// level 6 (zlib's default) 1.54 MB in ~360 ms. Redeploys wait on this; storage is cheap.
const COMPRESSION_LEVEL = 1;

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Walked {
  /** Posix path relative to the root; directories end without a slash. */
  name: string;
  kind: 'dir' | 'file' | 'link';
  /** Where to read a file from (the link's target for a dereferenced link). */
  source: string;
  mode: number;
  size: number;
  target?: string;
}

/** Every entry under `root`, depth first, in byte order of names (parents before children). */
async function walk(root: string, relative = ''): Promise<Walked[]> {
  const names = (await readdir(path.join(root, relative))).sort(byCodePoint);
  // Siblings (and their subtrees) are read in parallel; the order comes from `names`.
  const groups = await Promise.all(names.map((name) => walkEntry(root, relative === '' ? name : `${relative}/${name}`)));
  return groups.flat();
}

async function walkEntry(root: string, rel: string): Promise<Walked[]> {
  const full = path.join(root, rel);
  const info = await lstat(full);
  if (info.isDirectory()) return [{ name: rel, kind: 'dir', source: full, mode: info.mode, size: 0 }, ...(await walk(root, rel))];
  if (info.isFile()) return [{ name: rel, kind: 'file', source: full, mode: info.mode, size: info.size }];
  if (!info.isSymbolicLink()) return []; // sockets, pipes and devices have no place in an artifact
  const target = await readlink(full);
  if (!path.isAbsolute(target) && staysInside(path.posix.join(path.posix.dirname(rel), target))) {
    return [{ name: rel, kind: 'link', source: full, mode: S_IFLNK | 0o777, size: 0, target }];
  }
  const resolved = await stat(full).catch(() => undefined);
  if (resolved === undefined) return []; // dangling and pointing outside: nothing to ship
  if (!resolved.isFile()) {
    throw new LaambdaError('ERR_BUILD_SOURCE_INVALID', `"${rel}" is a symbolic link to a directory outside the app (${target}); it cannot be packaged`);
  }
  return [{ name: rel, kind: 'file', source: await realpath(full), mode: resolved.mode, size: resolved.size }];
}

const BUFFERED_FILE_BYTES = 1024 * 1024;
// Deflating a file costs a zlib stream (~0.3 ms) whatever its size; under 1 KB that buys a few
// hundred bytes. Measured on 2,029 node_modules files (12 MB): deflating all of them took ~700 ms
// of CPU for a 2.96 MB zip, storing those under 1 KB ~420 ms for 3.13 MB, storing all ~180 ms for 9.6 MB.
const MIN_DEFLATE_BYTES = 1024;
// Reads between two turns of the event loop: a small synchronous read is cheaper than a trip
// through the thread pool, and yielding keeps requests on other apps flowing meanwhile.
const YIELD_EVERY_BYTES = 4 * 1024 * 1024;

export interface ZipOptions {
  /** Most bytes of file content the tree may hold (Lambda: 250 MB unzipped); default no limit. */
  maxBytes?: number;
}

function fileOptions(entry: Walked): Partial<yazl.Options> {
  const compress = entry.size >= MIN_DEFLATE_BYTES && !STORED_EXTENSIONS.has(path.extname(entry.name).toLowerCase());
  return { ...TIME, mode: S_IFREG | (entry.mode & 0o7777), ...(compress ? { compressionLevel: COMPRESSION_LEVEL } : { compress: false }) };
}

/**
 * Zips `dir` into `outFile` (deflate; symlinks inside the tree kept as links; unix modes;
 * fixed timestamps). The same tree always gives the same bytes. Throws ERR_BUILD_SOURCE_INVALID
 * when the files add up to more than `maxBytes`.
 */
export async function zipDirectory(dir: string, outFile: string, options: ZipOptions = {}): Promise<ArtifactStats> {
  const entries = await walk(path.resolve(dir));
  const files = entries.filter((entry) => entry.kind === 'file');
  const bytes = files.reduce((sum, entry) => sum + entry.size, 0);
  if (options.maxBytes !== undefined && bytes > options.maxBytes) {
    throw new LaambdaError(
      'ERR_BUILD_SOURCE_INVALID',
      `the built code (dependencies included) is ${formatSize(bytes)}; the limit on unzipped code is ${formatSize(options.maxBytes)}`,
    );
  }
  const zip = new yazl.ZipFile();
  const failed = new Promise<never>((_, reject) => zip.on('error', reject));
  failed.catch(() => {});
  const written = pipeline(zip.outputStream, createWriteStream(outFile));
  written.catch(() => {});
  let sinceYield = 0;
  for (const entry of entries) {
    if (entry.kind === 'dir') {
      zip.addEmptyDirectory(`${entry.name}/`, { ...TIME, mode: S_IFDIR | (entry.mode & 0o7777) });
    } else if (entry.kind === 'link') {
      zip.addBuffer(Buffer.from(entry.target!), entry.name, { ...TIME, mode: entry.mode, compress: false });
    } else if (entry.size > BUFFERED_FILE_BYTES) {
      zip.addReadStreamLazy(entry.name, { ...fileOptions(entry), size: entry.size }, (callback) => callback(null, createReadStream(entry.source)));
    } else {
      // Whole buffers: yazl deflates them on the thread pool in parallel.
      zip.addBuffer(readFileSync(entry.source), entry.name, fileOptions(entry));
      sinceYield += entry.size + 4096;
      if (sinceYield >= YIELD_EVERY_BYTES) {
        sinceYield = 0;
        await setImmediate();
      }
    }
  }
  zip.end();
  await Promise.race([written, failed]);
  return { files: files.length, bytes };
}

function artifactRefused(message: string, cause?: unknown): LaambdaError {
  return new LaambdaError('ERR_BUILD_SOURCE_INVALID', `the artifact is refused: ${message}`, cause === undefined ? {} : { cause });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts);
}

/**
 * Unzips an artifact into `destDir`, restoring unix modes and symbolic links. Throws
 * ERR_BUILD_SOURCE_INVALID for entries or links that would land outside `destDir`.
 */
export async function unzipArtifact(zipFile: string, destDir: string): Promise<ArtifactStats> {
  const root = path.resolve(destDir);
  await mkdir(root, { recursive: true });
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipFile, { lazyEntries: true, autoClose: true, strictFileNames: true });
  } catch (error) {
    throw artifactRefused((error as Error).message, error);
  }
  const links: Array<{ name: string; target: string }> = [];
  const dirModes: Array<{ name: string; mode: number }> = [];
  let files = 0;
  let bytes = 0;
  try {
    for await (const entry of entriesOf(zip)) {
      const name = entry.fileName.replace(/\/+$/, '');
      if (name === '' || path.posix.isAbsolute(name) || !staysInside(name)) throw artifactRefused(`"${entry.fileName}" points outside the code directory`);
      const attributes = entry.externalFileAttributes >>> 16;
      const type = attributes & S_IFMT;
      const full = path.join(root, name);
      if (entry.fileName.endsWith('/') || type === S_IFDIR) {
        await mkdir(full, { recursive: true });
        if (attributes !== 0) dirModes.push({ name: full, mode: attributes & 0o777 });
        continue;
      }
      await mkdir(path.dirname(full), { recursive: true });
      const stream = await zip.openReadStreamPromise(entry);
      if (type === S_IFLNK) {
        const target = (await readAll(stream)).toString('utf8');
        if (path.isAbsolute(target) || !staysInside(path.posix.join(path.posix.dirname(name), target))) {
          throw artifactRefused(`"${name}" is a symbolic link to "${target}", outside the code directory`);
        }
        links.push({ name, target });
        continue;
      }
      const mode = type === S_IFREG && attributes !== 0 ? attributes & 0o777 : 0o644;
      await pipeline(stream, createWriteStream(full, { mode }));
      await chmod(full, mode); // the umask may have taken bits the artifact asked for
      files += 1;
      bytes += entry.uncompressedSize;
    }
  } catch (error) {
    zip.close();
    if (error instanceof LaambdaError) throw error;
    throw artifactRefused((error as Error).message, error);
  }
  // Links last, so no entry is ever written through one.
  for (const link of links) await symlink(link.target, path.join(root, link.name));
  await checkLinksResolveInside(root, links.map((link) => link.name)).catch((error: Error) => {
    throw artifactRefused(error.message, error);
  });
  // Deepest first, so a read-only directory is closed only after everything inside it is written.
  for (const dir of dirModes.sort((a, b) => b.name.length - a.name.length)) await chmod(dir.name, dir.mode);
  return { files, bytes };
}

async function* entriesOf(zip: yauzl.ZipFile): AsyncIterable<yauzl.Entry> {
  let next: { resolve: (entry: yauzl.Entry | undefined) => void; reject: (error: Error) => void } | undefined;
  let failure: Error | undefined;
  zip.on('entry', (entry: yauzl.Entry) => next?.resolve(entry));
  zip.on('end', () => next?.resolve(undefined));
  zip.on('error', (error: Error) => {
    failure = error;
    next?.reject(error);
  });
  for (;;) {
    const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      next = { resolve, reject };
      zip.readEntry();
    });
    if (entry === undefined) return;
    yield entry;
  }
}
