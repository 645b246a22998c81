// Buckets and objects of one app at a time: the use-cases behind the S3 endpoint (and the CLI).
// Data is streamed to a temp file, checked, moved into the content-addressed blob store, and
// only then recorded; listeners hear of each created or removed object before the call returns.
import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Bucket, BucketStore, StoredObject } from '../../core/buckets.ts';
import type { BlobStore } from '../../core/platform.ts';
import { type Clock, type Logger, silentLogger } from '../../core/ports.ts';
import { checkConditions, parseRange } from './conditions.ts';
import { ObjectData, verifyBody } from './data.ts';
import { BucketError, noSuchBucket, noSuchKey } from './errors.ts';
import { listObjects } from './listing.ts';
import { Multipart } from './multipart.ts';
import { checkBucketName, checkKey } from './names.ts';
import { spool } from './spool.ts';
import type {
  BucketCaller,
  CopyObjectOptions,
  DeleteObjectsResult,
  GetObjectOptions,
  ListObjectsOptions,
  ObjectEvent,
  ObjectEventName,
  ObjectListing,
  ObjectRead,
  PutObjectOptions,
  PutResult,
} from './types.ts';

export interface BucketServiceOptions {
  store: BucketStore;
  /** The object blob store (DATA/objects), apart from the artifacts'. */
  blobs: BlobStore;
  /** Where bodies are spooled; on the blob store's filesystem (DATA/objects-tmp). */
  tmpDir: string;
  clock: Clock;
  /** The region new buckets report; default us-east-1. */
  region?: string;
  logger?: Logger;
  /** Smallest size of a part that is not the last; S3's 5 MiB by default. */
  minPartSize?: number;
  /** Awaited after each object creation or removal, before the caller gets its answer. */
  onEvent?(event: ObjectEvent): Promise<void> | void;
}

export class BucketService {
  readonly store: BucketStore;
  readonly clock: Clock;
  readonly region: string;
  readonly tmpDir: string;
  readonly data: ObjectData;
  readonly multipart: Multipart;
  readonly #onEvent: BucketServiceOptions['onEvent'];
  #sequence = 0;

  constructor(options: BucketServiceOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.region = options.region ?? 'us-east-1';
    this.tmpDir = options.tmpDir;
    this.data = new ObjectData(options.blobs, options.store, options.logger ?? silentLogger);
    this.#onEvent = options.onEvent;
    this.multipart = new Multipart(this, options.minPartSize ?? 5 * 1024 * 1024);
  }

  async createBucket(caller: BucketCaller, name: string, region?: string): Promise<Bucket> {
    checkBucketName(name);
    const bucket: Bucket = { appId: caller.appId, name, region: region || this.region, createdAt: this.clock.now() };
    if (!(await this.store.createBucket(bucket))) {
      throw new BucketError(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        { BucketName: name },
      );
    }
    return bucket;
  }

  /** The bucket, or NoSuchBucket: also the SDK's bucket-exists check (HeadBucket). */
  async headBucket(caller: BucketCaller, name: string): Promise<Bucket> {
    const bucket = await this.store.getBucket(caller.appId, name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  async deleteBucket(caller: BucketCaller, name: string): Promise<void> {
    const outcome = await this.store.removeBucket(caller.appId, name);
    if (outcome === 'missing') throw noSuchBucket(name);
    if (outcome === 'not-empty') {
      throw new BucketError('BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: name });
    }
  }

  listBuckets(caller: BucketCaller): Promise<Bucket[]> {
    return this.store.listBuckets(caller.appId);
  }

  async putObject(caller: BucketCaller, bucket: string, key: string, body: Readable, options: PutObjectOptions = {}): Promise<PutResult> {
    checkKey(key);
    await this.headBucket(caller, bucket);
    const spooled = await spool(body, this.tmpDir, options.checks?.checksumAlgorithm);
    await verifyBody(spooled, options.checks);
    const now = this.clock.now();
    const eTag = `"${spooled.md5.toString('hex')}"`;
    const checksum = spooled.checksum ? { ...spooled.checksum, type: 'FULL_OBJECT' as const } : null;
    const { replacedDigest } = await this.data
      .keep(spooled, async (digest) => {
        if (options.ifNoneMatch !== undefined || options.ifMatch !== undefined) {
          await this.#checkWriteConditions(caller.appId, bucket, key, options);
        }
        return this.store.putObject({
          appId: caller.appId,
          bucket,
          key,
          size: spooled.size,
          eTag,
          contentType: options.contentType || 'application/octet-stream',
          metadata: options.metadata ?? {},
          headers: options.headers ?? {},
          checksum,
          digest,
          lastModified: now,
        });
      })
      .catch(async (error: unknown) => {
        await unlink(spooled.file).catch(() => {});
        await this.data.release(spooled.sha256);
        throw error;
      });
    if (replacedDigest !== spooled.sha256) await this.data.release(replacedDigest);
    await this.emit(caller, 's3:ObjectCreated:Put', { bucket, key, size: spooled.size, eTag });
    return { eTag, size: spooled.size, checksum, lastModified: now };
  }

  async #checkWriteConditions(appId: string, bucket: string, key: string, options: PutObjectOptions): Promise<void> {
    const existing = await this.store.getObject(appId, bucket, key);
    if (options.ifNoneMatch !== undefined && existing) {
      throw new BucketError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
    }
    if (options.ifMatch !== undefined) {
      if (!existing) throw noSuchKey(key);
      checkConditions({ ifMatch: options.ifMatch }, existing, false);
    }
  }

  /** GetObject: conditions first (412 / 304), then the range (416). */
  async getObject(caller: BucketCaller, bucket: string, key: string, options: GetObjectOptions = {}): Promise<ObjectRead> {
    const object = await this.headObject(caller, bucket, key, options);
    const range = parseRange(options.range, object.size);
    return { object, range, open: () => this.data.open(object.digest, range) };
  }

  async headObject(caller: BucketCaller, bucket: string, key: string, options: GetObjectOptions = {}): Promise<StoredObject> {
    await this.headBucket(caller, bucket);
    const object = await this.store.getObject(caller.appId, bucket, key);
    if (!object) throw noSuchKey(key);
    if (options.conditions) checkConditions(options.conditions, object);
    return object;
  }

  /** S3 answers success whether or not the key existed; only a removal makes an event. */
  async deleteObject(caller: BucketCaller, bucket: string, key: string): Promise<void> {
    await this.headBucket(caller, bucket);
    const removed = await this.store.removeObject(caller.appId, bucket, key);
    if (!removed) return;
    await this.data.release(removed.digest);
    await this.emit(caller, 's3:ObjectRemoved:Delete', { bucket, key, size: 0, eTag: '' });
  }

  async deleteObjects(caller: BucketCaller, bucket: string, keys: readonly string[]): Promise<DeleteObjectsResult> {
    await this.headBucket(caller, bucket);
    const result: DeleteObjectsResult = { deleted: [], errors: [] };
    for (const key of keys) {
      try {
        checkKey(key);
        await this.deleteObject(caller, bucket, key);
        result.deleted.push(key);
      } catch (error) {
        if (!(error instanceof BucketError)) throw error;
        result.errors.push({ key, code: error.s3Code, message: error.message });
      }
    }
    return result;
  }

  async listObjectsV2(caller: BucketCaller, bucket: string, options: ListObjectsOptions = {}): Promise<ObjectListing> {
    await this.headBucket(caller, bucket);
    return listObjects(this.store, caller.appId, bucket, options);
  }

  /** CopyObject: a new row naming the same blob; no byte is copied. */
  async copyObject(caller: BucketCaller, bucket: string, key: string, options: CopyObjectOptions): Promise<StoredObject> {
    checkKey(key);
    const source = await this.headObject(caller, options.sourceBucket, options.sourceKey);
    if (options.sourceConditions) checkConditions(options.sourceConditions, source, false);
    await this.headBucket(caller, bucket);
    const replace = options.metadataDirective === 'REPLACE';
    if (!replace && options.sourceBucket === bucket && options.sourceKey === key) {
      throw new BucketError(
        'InvalidRequest',
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const copy: StoredObject = {
      ...source,
      bucket,
      key,
      lastModified: this.clock.now(),
      ...(replace
        ? { contentType: options.contentType || 'application/octet-stream', metadata: options.metadata ?? {}, headers: options.headers ?? {} }
        : {}),
    };
    const { replacedDigest } = await this.data.reuse(source.digest, () => this.store.putObject(copy));
    if (replacedDigest !== source.digest) await this.data.release(replacedDigest);
    await this.emit(caller, 's3:ObjectCreated:Copy', { bucket, key, size: copy.size, eTag: copy.eTag });
    return copy;
  }

  /** Tells the listener; sequencers grow with time, then with a per-process counter. */
  async emit(caller: BucketCaller, eventName: ObjectEventName, object: { bucket: string; key: string; size: number; eTag: string }): Promise<void> {
    if (!this.#onEvent) return;
    const now = this.clock.now();
    this.#sequence = (this.#sequence + 1) % 0x10000;
    const sequencer = (now.toString(16) + this.#sequence.toString(16).padStart(4, '0')).toUpperCase().padStart(16, '0');
    await this.#onEvent({
      appId: caller.appId,
      ...object,
      eTag: object.eTag.replace(/^"|"$/g, ''),
      eventName,
      sequencer,
      requestId: caller.requestId ?? '',
      sourceIp: caller.sourceIp ?? '127.0.0.1',
      time: new Date(now).toISOString(),
    });
  }
}
