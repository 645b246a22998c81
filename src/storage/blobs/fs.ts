// Content-addressed blobs on the local filesystem: DIR/sha256/ab/abcdef… (the first two hex
// digits fan the files out over 256 directories). Stored files are read-only; a digest that
// is already there is never written again.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, chmod, copyFile, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isLaambdaError, LaambdaError } from '../../core/errors.ts';
import type { BlobStore } from '../../core/platform.ts';

const DIGEST = /^[0-9a-f]{64}$/;

export class FsBlobStore implements BlobStore {
  readonly #dir: string;

  /** `dir` is the blob root (DATA_DIR/blobs); it is created on the first put. */
  constructor(dir: string) {
    this.#dir = path.resolve(dir);
  }

  async putFile(file: string): Promise<{ digest: string; size: number }> {
    try {
      const [digest, { size }] = await Promise.all([sha256(file), stat(file)]);
      const target = this.#path(digest);
      if (await exists(target)) {
        await unlink(file);
        return { digest, size };
      }
      await mkdir(path.dirname(target), { recursive: true });
      await chmod(file, 0o444);
      await moveInto(file, target);
      return { digest, size };
    } catch (error) {
      if (isLaambdaError(error)) throw error;
      throw new LaambdaError('ERR_STORAGE_FAILED', `Could not store blob ${file}: ${reasonOf(error)}`, { cause: error });
    }
  }

  async has(digest: string): Promise<boolean> {
    return exists(this.#path(digest));
  }

  async localPath(digest: string): Promise<string> {
    const file = this.#path(digest);
    if (!(await exists(file))) {
      throw new LaambdaError('ERR_STORAGE_FAILED', `Blob ${digest} is missing from ${this.#dir}`);
    }
    return file;
  }

  async remove(digest: string): Promise<void> {
    const file = this.#path(digest);
    try {
      await unlink(file);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return;
      throw new LaambdaError('ERR_STORAGE_FAILED', `Could not remove blob ${digest}: ${reasonOf(error)}`, { cause: error });
    }
  }

  /** Every digest the store holds (for garbage collection by whoever knows which are in use). */
  async *digests(): AsyncIterable<string> {
    const root = path.join(this.#dir, 'sha256');
    let prefixes: string[];
    try {
      prefixes = await readdir(root);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return;
      throw error;
    }
    for (const prefix of prefixes) {
      for (const name of await readdir(path.join(root, prefix)).catch(() => [] as string[])) {
        if (DIGEST.test(name)) yield name;
      }
    }
  }

  /** The only way from a digest to a path: anything but 64 lower-case hex is refused. */
  #path(digest: string): string {
    if (!DIGEST.test(digest)) {
      throw new LaambdaError('ERR_STORAGE_FAILED', `Not a sha256 digest: ${JSON.stringify(digest.slice(0, 80))}`);
    }
    return path.join(this.#dir, 'sha256', digest.slice(0, 2), digest);
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * rename() is atomic but only within one filesystem; from elsewhere (EXDEV) the file is
 * copied to a temporary name beside the target and renamed from there, so a reader never
 * sees a half-written blob. Two puts of the same content may both rename: same bytes.
 */
async function moveInto(file: string, target: string): Promise<void> {
  try {
    await rename(file, target);
    return;
  } catch (error) {
    if (codeOf(error) !== 'EXDEV') throw error;
  }
  const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await copyFile(file, temporary);
    await chmod(temporary, 0o444);
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await unlink(file);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return false;
    throw new LaambdaError('ERR_STORAGE_FAILED', `Could not read ${file}: ${reasonOf(error)}`, { cause: error });
  }
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
