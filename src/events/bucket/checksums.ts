// The digests S3 computes over object data: MD5 (the ETag), sha256 (the blob's address and the
// signed payload hash) and the flexible checksums clients send (CRC32 by default in SDK v3).
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ChecksumAlgorithm } from '../../core/buckets.ts';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA1', 'SHA256'];

/** `x-amz-checksum-crc32` → CRC32 (case-insensitive); undefined for anything else. */
export function checksumAlgorithmOf(name: string): ChecksumAlgorithm | undefined {
  const upper = name.trim().toUpperCase().replace(/^X-AMZ-CHECKSUM-/, '');
  return CHECKSUM_ALGORITHMS.find((algorithm) => algorithm === upper);
}

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

// Castagnoli polynomial, reflected.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** One running checksum of a flexible-checksum algorithm. */
export class ChecksumHasher {
  readonly algorithm: ChecksumAlgorithm;
  #crc = 0;
  readonly #hash: Hash | undefined;

  constructor(algorithm: ChecksumAlgorithm) {
    this.algorithm = algorithm;
    if (algorithm === 'SHA1') this.#hash = createHash('sha1');
    else if (algorithm === 'SHA256') this.#hash = createHash('sha256');
  }

  update(data: Uint8Array): void {
    if (this.#hash) this.#hash.update(data);
    else if (this.algorithm === 'CRC32') this.#crc = crc32(data, this.#crc);
    else this.#crc = crc32c(data, this.#crc);
  }

  /** The raw digest (CRCs big-endian, as S3 encodes them). */
  digest(): Buffer {
    if (this.#hash) return this.#hash.digest();
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.#crc >>> 0);
    return out;
  }
}

/** The base64 checksum of a whole buffer. */
export function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  const hasher = new ChecksumHasher(algorithm);
  hasher.update(data);
  return hasher.digest().toString('base64');
}

/** MD5, sha256 and optionally one flexible checksum, fed as the data passes. */
export class BodyDigests {
  readonly #md5 = createHash('md5');
  readonly #sha256 = createHash('sha256');
  readonly #checksum: ChecksumHasher | undefined;
  size = 0;

  constructor(algorithm?: ChecksumAlgorithm) {
    this.#checksum = algorithm === undefined ? undefined : new ChecksumHasher(algorithm);
  }

  update(data: Uint8Array): void {
    this.size += data.length;
    this.#md5.update(data);
    this.#sha256.update(data);
    this.#checksum?.update(data);
  }

  finish(): FinishedDigests {
    return {
      size: this.size,
      md5: this.#md5.digest(),
      sha256: this.#sha256.digest('hex'),
      checksum: this.#checksum && { algorithm: this.#checksum.algorithm, value: this.#checksum.digest().toString('base64') },
    };
  }
}

export interface FinishedDigests {
  size: number;
  md5: Buffer;
  /** Hex. */
  sha256: string;
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
}
