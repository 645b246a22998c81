// SQLite storage of buckets, objects and multipart uploads. Object data stays in the blob store;
// rows name it by digest. Keys are compared as text: SQLite's BINARY collation is memcmp over
// UTF-8, which is S3's list order (a PostgreSQL adapter needs COLLATE "C" on these columns).
import type { Kysely, Selectable } from 'kysely';
import type {
  Bucket,
  BucketStore,
  ChecksumAlgorithm,
  MultipartUpload,
  ObjectChecksum,
  ObjectListQuery,
  StoredObject,
  UploadPart,
} from '../../core/buckets.ts';
import { prefixEnd } from '../../core/buckets.ts';
import { appMissing, guard, isForeignKeyViolation, isUniqueViolation, storageError } from './errors.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

export interface BucketsTable {
  app_id: string;
  name: string;
  region: string;
  created_at: number;
}

export interface ObjectsTable {
  app_id: string;
  bucket: string;
  key: string;
  size: number;
  etag: string;
  content_type: string;
  /** JSON of Record<string, string>. */
  metadata: string;
  /** JSON of StoredHeaders. */
  headers: string;
  /** JSON of ObjectChecksum, or null. */
  checksum: string | null;
  digest: string;
  last_modified: number;
}

export interface MultipartUploadsTable {
  id: string;
  app_id: string;
  bucket: string;
  key: string;
  content_type: string;
  metadata: string;
  headers: string;
  checksum_algorithm: string | null;
  initiated_at: number;
}

export interface UploadPartsTable {
  upload_id: string;
  part_number: number;
  size: number;
  etag: string;
  digest: string;
  checksum: string | null;
  last_modified: number;
}

/** The tables this store adds to the Database type. */
export interface BucketTables {
  buckets: BucketsTable;
  objects: ObjectsTable;
  multipart_uploads: MultipartUploadsTable;
  upload_parts: UploadPartsTable;
}

export const bucketsMigration: Migration = {
  id: 3,
  name: 'buckets, objects and multipart uploads',
  async up(db) {
    await db.schema
      .createTable('buckets')
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('buckets_pk', ['app_id', 'name'])
      .execute();

    await db.schema
      .createTable('objects')
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('etag', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('headers', 'text', (c) => c.notNull())
      .addColumn('checksum', 'text')
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('last_modified', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('objects_pk', ['app_id', 'bucket', 'key'])
      .addForeignKeyConstraint('objects_bucket_fk', ['app_id', 'bucket'], 'buckets', ['app_id', 'name'], (c) =>
        c.onDelete('cascade'),
      )
      .execute();
    await db.schema.createIndex('objects_digest').on('objects').column('digest').execute();

    await db.schema
      .createTable('multipart_uploads')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('bucket', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('headers', 'text', (c) => c.notNull())
      .addColumn('checksum_algorithm', 'text')
      .addColumn('initiated_at', 'bigint', (c) => c.notNull())
      .addForeignKeyConstraint('uploads_bucket_fk', ['app_id', 'bucket'], 'buckets', ['app_id', 'name'], (c) =>
        c.onDelete('cascade'),
      )
      .execute();
    await db.schema
      .createIndex('multipart_uploads_key')
      .on('multipart_uploads')
      .columns(['app_id', 'bucket', 'key', 'initiated_at'])
      .execute();

    await db.schema
      .createTable('upload_parts')
      .addColumn('upload_id', 'text', (c) => c.notNull().references('multipart_uploads.id').onDelete('cascade'))
      .addColumn('part_number', 'integer', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('etag', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('checksum', 'text')
      .addColumn('last_modified', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('upload_parts_pk', ['upload_id', 'part_number'])
      .execute();
    await db.schema.createIndex('upload_parts_digest').on('upload_parts').column('digest').execute();
  },
};

export class SqliteBucketStore implements BucketStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async createBucket(bucket: Bucket): Promise<boolean> {
    try {
      await this.#db
        .insertInto('buckets')
        .values({ app_id: bucket.appId, name: bucket.name, region: bucket.region, created_at: bucket.createdAt })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      if (isForeignKeyViolation(error)) throw appMissing(bucket.appId, error);
      throw storageError(`create bucket ${bucket.name}`, error);
    }
  }

  getBucket(appId: string, name: string): Promise<Bucket | undefined> {
    return guard(`read bucket ${name}`, async () => {
      const row = await this.#db
        .selectFrom('buckets')
        .selectAll()
        .where('app_id', '=', appId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row && toBucket(row);
    });
  }

  listBuckets(appId: string): Promise<Bucket[]> {
    return guard(`list the buckets of app ${appId}`, async () => {
      const rows = await this.#db.selectFrom('buckets').selectAll().where('app_id', '=', appId).orderBy('name').execute();
      return rows.map(toBucket);
    });
  }

  removeBucket(appId: string, name: string): Promise<'removed' | 'missing' | 'not-empty'> {
    return guard(`remove bucket ${name}`, () =>
      this.#db.transaction().execute(async (trx) => {
        for (const table of ['objects', 'multipart_uploads'] as const) {
          const row = await trx
            .selectFrom(table)
            .select('key')
            .where('app_id', '=', appId)
            .where('bucket', '=', name)
            .limit(1)
            .executeTakeFirst();
          if (row) return 'not-empty';
        }
        const result = await trx.deleteFrom('buckets').where('app_id', '=', appId).where('name', '=', name).executeTakeFirst();
        return result.numDeletedRows > 0n ? 'removed' : 'missing';
      }),
    );
  }

  getObject(appId: string, bucket: string, key: string): Promise<StoredObject | undefined> {
    return guard(`read object ${key}`, async () => {
      const row = await this.#db
        .selectFrom('objects')
        .selectAll()
        .where('app_id', '=', appId)
        .where('bucket', '=', bucket)
        .where('key', '=', key)
        .executeTakeFirst();
      return row && toObject(row);
    });
  }

  putObject(object: StoredObject): Promise<{ replacedDigest: string | undefined }> {
    return guard(`store object ${object.key}`, () => this.#db.transaction().execute((trx) => upsertObject(trx, object)));
  }

  removeObject(appId: string, bucket: string, key: string): Promise<StoredObject | undefined> {
    return guard(`remove object ${key}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('objects')
          .selectAll()
          .where('app_id', '=', appId)
          .where('bucket', '=', bucket)
          .where('key', '=', key)
          .executeTakeFirst();
        if (!row) return undefined;
        await trx.deleteFrom('objects').where('app_id', '=', appId).where('bucket', '=', bucket).where('key', '=', key).execute();
        return toObject(row);
      }),
    );
  }

  listObjects(appId: string, bucket: string, query: ObjectListQuery): Promise<StoredObject[]> {
    return guard(`list the objects of bucket ${bucket}`, async () => {
      let select = this.#db.selectFrom('objects').selectAll().where('app_id', '=', appId).where('bucket', '=', bucket);
      if (query.prefix) {
        select = select.where('key', '>=', query.prefix);
        const end = prefixEnd(query.prefix);
        if (end !== undefined) select = select.where('key', '<', end);
      }
      if (query.after !== undefined) select = select.where('key', '>', query.after);
      if (query.from !== undefined) select = select.where('key', '>=', query.from);
      const rows = await select.orderBy('key').limit(query.limit).execute();
      return rows.map(toObject);
    });
  }

  async createUpload(upload: MultipartUpload): Promise<void> {
    try {
      await this.#db
        .insertInto('multipart_uploads')
        .values({
          id: upload.uploadId,
          app_id: upload.appId,
          bucket: upload.bucket,
          key: upload.key,
          content_type: upload.contentType,
          metadata: JSON.stringify(upload.metadata),
          headers: JSON.stringify(upload.headers),
          checksum_algorithm: upload.checksumAlgorithm,
          initiated_at: upload.initiatedAt,
        })
        .execute();
    } catch (error) {
      if (isForeignKeyViolation(error)) throw appMissing(upload.appId, error);
      throw storageError(`create an upload of ${upload.key}`, error);
    }
  }

  getUpload(appId: string, bucket: string, uploadId: string): Promise<MultipartUpload | undefined> {
    return guard(`read upload ${uploadId}`, async () => {
      const row = await this.#db
        .selectFrom('multipart_uploads')
        .selectAll()
        .where('id', '=', uploadId)
        .where('app_id', '=', appId)
        .where('bucket', '=', bucket)
        .executeTakeFirst();
      return row && toUpload(row);
    });
  }

  listUploads(appId: string, bucket: string, query: ObjectListQuery): Promise<MultipartUpload[]> {
    return guard(`list the uploads of bucket ${bucket}`, async () => {
      let select = this.#db.selectFrom('multipart_uploads').selectAll().where('app_id', '=', appId).where('bucket', '=', bucket);
      if (query.prefix) {
        select = select.where('key', '>=', query.prefix);
        const end = prefixEnd(query.prefix);
        if (end !== undefined) select = select.where('key', '<', end);
      }
      if (query.after !== undefined) select = select.where('key', '>', query.after);
      const rows = await select.orderBy('key').orderBy('initiated_at').orderBy('id').limit(query.limit).execute();
      return rows.map(toUpload);
    });
  }

  putPart(part: UploadPart): Promise<{ replacedDigest: string | undefined }> {
    return guard(`store part ${part.partNumber} of upload ${part.uploadId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const old = await trx
          .selectFrom('upload_parts')
          .select('digest')
          .where('upload_id', '=', part.uploadId)
          .where('part_number', '=', part.partNumber)
          .executeTakeFirst();
        const row: UploadPartsTable = {
          upload_id: part.uploadId,
          part_number: part.partNumber,
          size: part.size,
          etag: part.eTag,
          digest: part.digest,
          checksum: part.checksum && JSON.stringify(part.checksum),
          last_modified: part.lastModified,
        };
        if (old) {
          await trx
            .updateTable('upload_parts')
            .set(row)
            .where('upload_id', '=', part.uploadId)
            .where('part_number', '=', part.partNumber)
            .execute();
        } else {
          await trx.insertInto('upload_parts').values(row).execute();
        }
        return { replacedDigest: old?.digest };
      }),
    );
  }

  listParts(uploadId: string): Promise<UploadPart[]> {
    return guard(`list the parts of upload ${uploadId}`, async () => {
      const rows = await this.#db.selectFrom('upload_parts').selectAll().where('upload_id', '=', uploadId).orderBy('part_number').execute();
      return rows.map(toPart);
    });
  }

  removeUpload(uploadId: string): Promise<UploadPart[]> {
    return guard(`remove upload ${uploadId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const rows = await trx.selectFrom('upload_parts').selectAll().where('upload_id', '=', uploadId).execute();
        await trx.deleteFrom('upload_parts').where('upload_id', '=', uploadId).execute();
        await trx.deleteFrom('multipart_uploads').where('id', '=', uploadId).execute();
        return rows.map(toPart);
      }),
    );
  }

  completeUpload(uploadId: string, object: StoredObject): Promise<{ replacedDigest: string | undefined; parts: UploadPart[] }> {
    return guard(`complete upload ${uploadId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const rows = await trx.selectFrom('upload_parts').selectAll().where('upload_id', '=', uploadId).execute();
        await trx.deleteFrom('upload_parts').where('upload_id', '=', uploadId).execute();
        await trx.deleteFrom('multipart_uploads').where('id', '=', uploadId).execute();
        const { replacedDigest } = await upsertObject(trx, object);
        return { replacedDigest, parts: rows.map(toPart) };
      }),
    );
  }

  isDigestReferenced(digest: string): Promise<boolean> {
    return guard(`look for references to blob ${digest}`, async () => {
      const object = await this.#db.selectFrom('objects').select('digest').where('digest', '=', digest).limit(1).executeTakeFirst();
      if (object) return true;
      const part = await this.#db.selectFrom('upload_parts').select('digest').where('digest', '=', digest).limit(1).executeTakeFirst();
      return part !== undefined;
    });
  }
}

async function upsertObject(trx: Kysely<Database>, object: StoredObject): Promise<{ replacedDigest: string | undefined }> {
  const where = { app_id: object.appId, bucket: object.bucket, key: object.key };
  const old = await trx
    .selectFrom('objects')
    .select('digest')
    .where('app_id', '=', where.app_id)
    .where('bucket', '=', where.bucket)
    .where('key', '=', where.key)
    .executeTakeFirst();
  const row: ObjectsTable = {
    ...where,
    size: object.size,
    etag: object.eTag,
    content_type: object.contentType,
    metadata: JSON.stringify(object.metadata),
    headers: JSON.stringify(object.headers),
    checksum: object.checksum && JSON.stringify(object.checksum),
    digest: object.digest,
    last_modified: object.lastModified,
  };
  if (old) {
    await trx
      .updateTable('objects')
      .set(row)
      .where('app_id', '=', where.app_id)
      .where('bucket', '=', where.bucket)
      .where('key', '=', where.key)
      .execute();
  } else {
    await trx.insertInto('objects').values(row).execute();
  }
  return { replacedDigest: old?.digest };
}

function toBucket(row: Selectable<BucketsTable>): Bucket {
  return { appId: row.app_id, name: row.name, region: row.region, createdAt: Number(row.created_at) };
}

function toObject(row: Selectable<ObjectsTable>): StoredObject {
  return {
    appId: row.app_id,
    bucket: row.bucket,
    key: row.key,
    size: Number(row.size),
    eTag: row.etag,
    contentType: row.content_type,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    headers: JSON.parse(row.headers) as StoredObject['headers'],
    checksum: row.checksum === null ? null : (JSON.parse(row.checksum) as ObjectChecksum),
    digest: row.digest,
    lastModified: Number(row.last_modified),
  };
}

function toUpload(row: Selectable<MultipartUploadsTable>): MultipartUpload {
  return {
    uploadId: row.id,
    appId: row.app_id,
    bucket: row.bucket,
    key: row.key,
    contentType: row.content_type,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    headers: JSON.parse(row.headers) as MultipartUpload['headers'],
    checksumAlgorithm: row.checksum_algorithm as ChecksumAlgorithm | null,
    initiatedAt: Number(row.initiated_at),
  };
}

function toPart(row: Selectable<UploadPartsTable>): UploadPart {
  return {
    uploadId: row.upload_id,
    partNumber: Number(row.part_number),
    size: Number(row.size),
    eTag: row.etag,
    digest: row.digest,
    checksum: row.checksum === null ? null : (JSON.parse(row.checksum) as ObjectChecksum),
    lastModified: Number(row.last_modified),
  };
}
