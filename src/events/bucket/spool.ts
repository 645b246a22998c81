// Request bodies go to a temporary file beside the blob store (same filesystem, so moving them
// in is a rename), hashed on the way: never a whole body in memory.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ChecksumAlgorithm } from '../../core/buckets.ts';
import { BodyDigests, type FinishedDigests } from './checksums.ts';

export interface Spooled extends FinishedDigests {
  file: string;
}

export async function tempFile(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return path.join(dir, `${Date.now().toString(36)}-${randomBytes(8).toString('hex')}.part`);
}

/** Writes the sources one after another to a new temp file in `dir`, hashing as it goes. */
export async function spool(sources: Readable | (() => AsyncIterable<Uint8Array>), dir: string, algorithm?: ChecksumAlgorithm): Promise<Spooled> {
  const file = await tempFile(dir);
  const digests = new BodyDigests(algorithm);
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      digests.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const source = typeof sources === 'function' ? sources() : sources;
    await pipeline(source, hashing, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  } catch (error) {
    await unlink(file).catch(() => {});
    throw error;
  }
  return { file, ...digests.finish() };
}

/** The bytes of several files, one after the other (multipart completion). */
export async function* concatFiles(files: readonly string[]): AsyncIterable<Uint8Array> {
  for (const file of files) {
    for await (const chunk of createReadStream(file)) yield chunk as Buffer;
  }
}
