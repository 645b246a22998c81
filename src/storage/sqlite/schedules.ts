// SQLite storage of schedule ticks and async retries. Placeholder: the owner of src/events/schedule fills this in.
import type { Kysely } from 'kysely';
import type { ScheduleStore } from '../../core/schedules.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

/** The tables this store adds to the Database type. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ScheduleTables {}

export const schedulesMigration: Migration = {
  id: 4,
  name: 'schedule ticks and async retries',
  async up() {},
};

export class SqliteScheduleStore implements ScheduleStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }
}
