// The buckets, objects and multipart uploads model and its storage port (event-sources issue).
// Object data is not here: rows name a sha256 digest in a content-addressed blob store, so an
// object key is only ever a database value, never a path.

/** The checksum algorithms S3 clients may send (SDK v3 sends CRC32 by default). */
export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';

/** A checksum as S3 reports it: base64 of the raw digest; `-N` appended for a composite. */
export interface ObjectChecksum {
  algorithm: ChecksumAlgorithm;
  value: string;
  /** FULL_OBJECT for a single PUT; COMPOSITE (checksum of the part checksums) after multipart. */
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

/** The stored HTTP headers of an object besides Content-Type (lower-case names). */
export type StoredHeaders = Partial<
  Record<'content-encoding' | 'content-disposition' | 'cache-control' | 'content-language' | 'expires', string>
>;

export interface Bucket {
  appId: string;
  name: string;
  /** The region named at creation (LocationConstraint), or the endpoint's. */
  region: string;
  createdAt: number;
}

/** What an object is, without where its bytes are. */
export interface ObjectAttributes {
  size: number;
  /** Quoted, as S3 sends it: `"hex-md5"` or `"hex-md5-N"` after multipart. */
  eTag: string;
  contentType: string;
  /** `x-amz-meta-*` values by lower-case name without the prefix. */
  metadata: Record<string, string>;
  headers: StoredHeaders;
  checksum: ObjectChecksum | null;
}

export interface StoredObject extends ObjectAttributes {
  appId: string;
  bucket: string;
  key: string;
  /** sha256 of the data in the blob store. */
  digest: string;
  lastModified: number;
}

export interface MultipartUpload {
  uploadId: string;
  appId: string;
  bucket: string;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  headers: StoredHeaders;
  checksumAlgorithm: ChecksumAlgorithm | null;
  initiatedAt: number;
}

export interface UploadPart {
  uploadId: string;
  partNumber: number;
  size: number;
  /** Quoted hex MD5 of the part. */
  eTag: string;
  digest: string;
  checksum: ObjectChecksum | null;
  lastModified: number;
}

export interface ObjectListQuery {
  /** Only keys starting with this. */
  prefix?: string;
  /** Only keys sorting strictly after this (UTF-8 byte order, as S3 lists). */
  after?: string;
  /** Only keys sorting at or after this. */
  from?: string;
  limit: number;
}

/** Storage of buckets, objects and multipart uploads; adapters live in src/storage. */
export interface BucketStore {
  /** False when the app already has a bucket of that name. */
  createBucket(bucket: Bucket): Promise<boolean>;
  getBucket(appId: string, name: string): Promise<Bucket | undefined>;
  /** By name. */
  listBuckets(appId: string): Promise<Bucket[]>;
  /** Refuses (returns 'not-empty') while objects or uploads remain. */
  removeBucket(appId: string, name: string): Promise<'removed' | 'missing' | 'not-empty'>;

  getObject(appId: string, bucket: string, key: string): Promise<StoredObject | undefined>;
  /** Inserts or replaces; answers the digest of the object it replaced, if any. */
  putObject(object: StoredObject): Promise<{ replacedDigest: string | undefined }>;
  /** Answers the removed object, if there was one. */
  removeObject(appId: string, bucket: string, key: string): Promise<StoredObject | undefined>;
  /** Keys in UTF-8 byte order. */
  listObjects(appId: string, bucket: string, query: ObjectListQuery): Promise<StoredObject[]>;

  createUpload(upload: MultipartUpload): Promise<void>;
  getUpload(appId: string, bucket: string, uploadId: string): Promise<MultipartUpload | undefined>;
  /** By key, then initiation. */
  listUploads(appId: string, bucket: string, query: ObjectListQuery): Promise<MultipartUpload[]>;
  /** Answers the digest of the part it replaced, if any. */
  putPart(part: UploadPart): Promise<{ replacedDigest: string | undefined }>;
  /** By part number. */
  listParts(uploadId: string): Promise<UploadPart[]>;
  /** Removes the upload and its parts; answers the removed parts. */
  removeUpload(uploadId: string): Promise<UploadPart[]>;
  /**
   * Stores the object made of an upload and removes the upload in one transaction; answers the
   * digest the object replaced and the upload's parts (whose blobs may now be unreferenced).
   */
  completeUpload(uploadId: string, object: StoredObject): Promise<{ replacedDigest: string | undefined; parts: UploadPart[] }>;

  /** Whether any object or upload part (of any app) still names this blob. */
  isDigestReferenced(digest: string): Promise<boolean>;
}

/**
 * The smallest string above every string starting with `prefix`: its last code point plus one
 * (UTF-8 byte order is code point order). Undefined when no such string exists.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}
