// SQLite storage of buckets, objects and multipart uploads. Placeholder: the owner of src/events/bucket fills this in.
import type { Kysely } from 'kysely';
import type { BucketStore } from '../../core/buckets.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

/** The tables this store adds to the Database type. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BucketTables {}

export const bucketsMigration: Migration = {
  id: 3,
  name: 'buckets, objects and multipart uploads',
  async up() {},
};

export class SqliteBucketStore implements BucketStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }
}
