// Multipart uploads: parts are blobs of their own until completion concatenates the listed ones
// into the object's blob; the ETag is then S3's `md5(concat(part md5s))-N`.
import { createHash, randomBytes } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ChecksumAlgorithm, MultipartUpload, ObjectChecksum, StoredObject, UploadPart } from '../../core/buckets.ts';
import { ChecksumHasher } from './checksums.ts';
import { checkConditions, parseRange } from './conditions.ts';
import { verifyBody } from './data.ts';
import { BucketError, noSuchUpload } from './errors.ts';
import { checkKey } from './names.ts';
import { concatFiles, spool, type Spooled } from './spool.ts';
import type { BucketService } from './service.ts';
import type { BodyChecks, BucketCaller, CompletedPart, ObjectWriteOptions } from './types.ts';
import type { Conditions } from './conditions.ts';

export const MAX_PART_NUMBER = 10_000;

export interface PartListing {
  upload: MultipartUpload;
  parts: UploadPart[];
  isTruncated: boolean;
  nextPartNumberMarker: number | undefined;
}

export class Multipart {
  readonly #service: BucketService;
  readonly #minPartSize: number;

  constructor(service: BucketService, minPartSize: number) {
    this.#service = service;
    this.#minPartSize = minPartSize;
  }

  async create(
    caller: BucketCaller,
    bucket: string,
    key: string,
    options: ObjectWriteOptions & { checksumAlgorithm?: ChecksumAlgorithm } = {},
  ): Promise<MultipartUpload> {
    checkKey(key);
    await this.#service.headBucket(caller, bucket);
    const upload: MultipartUpload = {
      uploadId: randomBytes(24).toString('base64url'),
      appId: caller.appId,
      bucket,
      key,
      contentType: options.contentType || 'application/octet-stream',
      metadata: options.metadata ?? {},
      headers: options.headers ?? {},
      checksumAlgorithm: options.checksumAlgorithm ?? null,
      initiatedAt: this.#service.clock.now(),
    };
    await this.#service.store.createUpload(upload);
    return upload;
  }

  async uploadPart(
    caller: BucketCaller,
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    checks: BodyChecks = {},
  ): Promise<UploadPart> {
    const upload = await this.#upload(caller, bucket, key, uploadId);
    checkPartNumber(partNumber);
    const algorithm = checks.checksumAlgorithm ?? upload.checksumAlgorithm ?? undefined;
    const spooled = await spool(body, this.#service.tmpDir, algorithm);
    await verifyBody(spooled, checks);
    return this.#storePart(uploadId, partNumber, spooled);
  }

  /** UploadPartCopy: a byte range (or all) of an existing object becomes a part. */
  async uploadPartCopy(
    caller: BucketCaller,
    target: { bucket: string; key: string; uploadId: string; partNumber: number },
    source: { bucket: string; key: string; range?: string; conditions?: Conditions },
  ): Promise<UploadPart> {
    const upload = await this.#upload(caller, target.bucket, target.key, target.uploadId);
    checkPartNumber(target.partNumber);
    const object = await this.#service.headObject(caller, source.bucket, source.key);
    if (source.conditions) checkConditions(source.conditions, object, false);
    const range = parseRange(source.range, object.size);
    const stream = await this.#service.data.open(object.digest, range);
    const spooled = await spool(stream, this.#service.tmpDir, upload.checksumAlgorithm ?? undefined);
    return this.#storePart(target.uploadId, target.partNumber, spooled);
  }

  async #storePart(uploadId: string, partNumber: number, spooled: Spooled): Promise<UploadPart> {
    const part: UploadPart = {
      uploadId,
      partNumber,
      size: spooled.size,
      eTag: `"${spooled.md5.toString('hex')}"`,
      digest: spooled.sha256,
      checksum: spooled.checksum ? { ...spooled.checksum, type: 'FULL_OBJECT' } : null,
      lastModified: this.#service.clock.now(),
    };
    const { replacedDigest } = await this.#service.data
      .keep(spooled, () => this.#service.store.putPart(part))
      .catch(async (error: unknown) => {
        await unlink(spooled.file).catch(() => {});
        await this.#service.data.release(spooled.sha256);
        throw error;
      });
    if (replacedDigest !== part.digest) await this.#service.data.release(replacedDigest);
    return part;
  }

  async complete(caller: BucketCaller, bucket: string, key: string, uploadId: string, listed: readonly CompletedPart[]): Promise<StoredObject> {
    const upload = await this.#upload(caller, bucket, key, uploadId);
    const stored = new Map((await this.#service.store.listParts(uploadId)).map((part) => [part.partNumber, part]));
    const parts = checkCompletion(listed, stored, this.#minPartSize);
    const paths = await Promise.all(parts.map((part) => this.#service.data.path(part.digest)));
    const spooled = await spool(() => concatFiles(paths), this.#service.tmpDir);
    const md5s = Buffer.concat(parts.map((part) => Buffer.from(part.eTag.replace(/"/g, ''), 'hex')));
    const eTag = `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
    const object: StoredObject = {
      appId: caller.appId,
      bucket,
      key,
      size: spooled.size,
      eTag,
      contentType: upload.contentType,
      metadata: upload.metadata,
      headers: upload.headers,
      checksum: compositeChecksum(parts, upload.checksumAlgorithm),
      digest: spooled.sha256,
      lastModified: this.#service.clock.now(),
    };
    const { replacedDigest, parts: removed } = await this.#service.data
      .keep(spooled, () => this.#service.store.completeUpload(uploadId, object))
      .catch(async (error: unknown) => {
        await unlink(spooled.file).catch(() => {});
        await this.#service.data.release(spooled.sha256);
        throw error;
      });
    await this.#service.data.release(replacedDigest, ...removed.map((part) => part.digest));
    await this.#service.emit(caller, 's3:ObjectCreated:CompleteMultipartUpload', { bucket, key, size: object.size, eTag });
    return object;
  }

  async abort(caller: BucketCaller, bucket: string, key: string, uploadId: string): Promise<void> {
    await this.#upload(caller, bucket, key, uploadId);
    const removed = await this.#service.store.removeUpload(uploadId);
    await this.#service.data.release(...removed.map((part) => part.digest));
  }

  async listParts(
    caller: BucketCaller,
    bucket: string,
    key: string,
    uploadId: string,
    options: { maxParts?: number; partNumberMarker?: number } = {},
  ): Promise<PartListing> {
    const upload = await this.#upload(caller, bucket, key, uploadId);
    const maxParts = Math.min(options.maxParts ?? 1000, 1000);
    const after = (await this.#service.store.listParts(uploadId)).filter((part) => part.partNumber > (options.partNumberMarker ?? 0));
    const parts = after.slice(0, maxParts);
    const isTruncated = after.length > parts.length;
    return { upload, parts, isTruncated, nextPartNumberMarker: parts.at(-1)?.partNumber };
  }

  async listUploads(
    caller: BucketCaller,
    bucket: string,
    options: { prefix?: string; keyMarker?: string; maxUploads?: number } = {},
  ): Promise<{ uploads: MultipartUpload[]; isTruncated: boolean }> {
    await this.#service.headBucket(caller, bucket);
    const limit = Math.min(options.maxUploads ?? 1000, 1000);
    const rows = await this.#service.store.listUploads(caller.appId, bucket, {
      ...(options.prefix ? { prefix: options.prefix } : {}),
      ...(options.keyMarker ? { after: options.keyMarker } : {}),
      limit: limit + 1,
    });
    return { uploads: rows.slice(0, limit), isTruncated: rows.length > limit };
  }

  async #upload(caller: BucketCaller, bucket: string, key: string, uploadId: string): Promise<MultipartUpload> {
    await this.#service.headBucket(caller, bucket);
    const upload = await this.#service.store.getUpload(caller.appId, bucket, uploadId);
    if (!upload || upload.key !== key) throw noSuchUpload(uploadId);
    return upload;
  }
}

function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new BucketError('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, {
      ArgumentName: 'partNumber',
      ArgumentValue: String(partNumber),
    });
  }
}

/** The parts to assemble, in order, after S3's checks of the client's list. */
function checkCompletion(listed: readonly CompletedPart[], stored: Map<number, UploadPart>, minPartSize: number): UploadPart[] {
  if (listed.length === 0) {
    throw new BucketError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  }
  const parts: UploadPart[] = [];
  listed.forEach((item, index) => {
    const previous = listed[index - 1];
    if (previous && item.partNumber <= previous.partNumber) {
      throw new BucketError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
    }
    const part = stored.get(item.partNumber);
    if (!part || part.eTag.replace(/"/g, '') !== item.eTag.replace(/"/g, '')) {
      throw new BucketError(
        'InvalidPart',
        'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.',
        { PartNumber: item.partNumber, ETag: item.eTag },
      );
    }
    parts.push(part);
  });
  parts.slice(0, -1).forEach((part) => {
    if (part.size < minPartSize) {
      throw new BucketError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
        ProposedSize: part.size,
        MinSizeAllowed: minPartSize,
        PartNumber: part.partNumber,
      });
    }
  });
  return parts;
}

/** S3's checksum of checksums: the algorithm over the parts' raw checksums, then `-N`. */
function compositeChecksum(parts: readonly UploadPart[], algorithm: ChecksumAlgorithm | null): ObjectChecksum | null {
  const wanted = algorithm ?? parts[0]?.checksum?.algorithm;
  if (!wanted || parts.some((part) => part.checksum?.algorithm !== wanted)) return null;
  const hasher = new ChecksumHasher(wanted);
  for (const part of parts) hasher.update(Buffer.from(part.checksum!.value, 'base64'));
  return { algorithm: wanted, value: `${hasher.digest().toString('base64')}-${parts.length}`, type: 'COMPOSITE' };
}
