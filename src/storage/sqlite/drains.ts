// SQLite storage of log drains. Placeholder: the owner of src/observe/drains fills this in.
import type { Kysely } from 'kysely';
import type { DrainStore } from '../../core/drains.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

/** The tables this store adds to the Database type. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DrainTables {}

export const drainsMigration: Migration = {
  id: 6,
  name: 'log drains',
  async up() {},
};

export class SqliteDrainStore implements DrainStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }
}
