// Object data in the blob store, shared by objects and parts through their digests. A blob is
// removed only when no row names it any more; a per-digest lock keeps "store blob + insert row"
// and "find no row + remove blob" from interleaving (else a fresh row could lose its blob).
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { BucketStore } from '../../core/buckets.ts';
import type { BlobStore } from '../../core/platform.ts';
import type { Logger } from '../../core/ports.ts';
import type { ByteRange } from './conditions.ts';
import { badDigest, BucketError } from './errors.ts';
import type { Spooled } from './spool.ts';
import type { BodyChecks } from './types.ts';

export class ObjectData {
  readonly #blobs: BlobStore;
  readonly #store: BucketStore;
  readonly #logger: Logger;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(blobs: BlobStore, store: BucketStore, logger: Logger) {
    this.#blobs = blobs;
    this.#store = store;
    this.#logger = logger;
  }

  /** Moves a spooled file into the blob store and runs `record` (the row insert) under its lock. */
  async keep<T>(spooled: Spooled, record: (digest: string) => Promise<T>): Promise<T> {
    return this.#locked(spooled.sha256, async () => {
      const { digest } = await this.#blobs.putFile(spooled.file);
      return record(digest);
    });
  }

  /** Runs `record` for a blob already stored (a copy), refusing if it vanished meanwhile. */
  async reuse<T>(digest: string, record: () => Promise<T>): Promise<T> {
    return this.#locked(digest, async () => {
      if (!(await this.#blobs.has(digest))) throw new BucketError('InternalError', 'The source object data is gone');
      return record();
    });
  }

  /** Removes blobs no row names any more; failures are logged, never the caller's problem. */
  async release(...digests: Array<string | undefined>): Promise<void> {
    for (const digest of new Set(digests)) {
      if (digest === undefined) continue;
      try {
        await this.#locked(digest, async () => {
          if (!(await this.#store.isDigestReferenced(digest))) await this.#blobs.remove(digest);
        });
      } catch (error) {
        this.#logger.warn({ digest, err: error }, 'could not remove an unreferenced object blob');
      }
    }
  }

  async open(digest: string, range?: ByteRange): Promise<Readable> {
    const file = await this.#blobs.localPath(digest);
    return createReadStream(file, range ? { start: range.start, end: range.end } : {});
  }

  async path(digest: string): Promise<string> {
    return this.#blobs.localPath(digest);
  }

  async #locked<T>(digest: string, run: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(digest) ?? Promise.resolve();
    const mine = before.then(run, run);
    const settled = mine.catch(() => {});
    this.#locks.set(digest, settled);
    try {
      return await mine;
    } finally {
      if (this.#locks.get(digest) === settled) this.#locks.delete(digest);
    }
  }
}

/** Checks a spooled body against what the client declared; removes the file when it fails. */
export async function verifyBody(spooled: Spooled, checks: BodyChecks | undefined): Promise<void> {
  try {
    if (!checks) return;
    if (checks.length !== undefined && spooled.size !== checks.length) {
      throw new BucketError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header');
    }
    if (checks.contentMd5 !== undefined && Buffer.from(checks.contentMd5, 'base64').toString('base64') !== spooled.md5.toString('base64')) {
      throw badDigest('The Content-MD5 you specified did not match what we received.');
    }
    if (checks.sha256 !== undefined && checks.sha256.toLowerCase() !== spooled.sha256) {
      throw new BucketError('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: checks.sha256,
        S3ComputedContentSHA256: spooled.sha256,
      });
    }
    const expected = checks.expectedChecksum?.();
    if (expected !== undefined && spooled.checksum !== undefined && expected !== spooled.checksum.value) {
      throw badDigest(`The ${spooled.checksum.algorithm} you specified did not match the calculated checksum.`);
    }
  } catch (error) {
    await unlink(spooled.file).catch(() => {});
    throw error;
  }
}
