// SQLite storage of log lines and platform events. Placeholder: the owner of src/observe/logs fills this in.
import type { DatabaseSync } from 'node:sqlite';
import type { Kysely } from 'kysely';
import type { LogStore } from '../../core/logs.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

/** The tables this store adds to the Database type. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LogTables {}

export const logsMigration: Migration = {
  id: 5,
  name: 'log lines and platform events',
  async up() {},
};

export class SqliteLogStore implements LogStore {
  readonly #db: Kysely<Database>;

  /** The raw connection too: batched inserts at 100,000 lines/s need one prepared statement. */
  readonly #database: DatabaseSync;

  constructor(db: Kysely<Database>, database: DatabaseSync) {
    this.#db = db;
    this.#database = database;
  }

  get database(): DatabaseSync {
    return this.#database;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }
}
