// SQLite storage of one-minute metric rollups. Placeholder: the owner of src/observe/metrics fills this in.
import type { Kysely } from 'kysely';
import type { MetricStore } from '../../core/metrics.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

/** The tables this store adds to the Database type. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MetricTables {}

export const metricsMigration: Migration = {
  id: 7,
  name: 'one-minute metric rollups',
  async up() {},
};

export class SqliteMetricStore implements MetricStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }
}
