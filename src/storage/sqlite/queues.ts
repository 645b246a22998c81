// SQLite storage of queues and messages. Placeholder: the owner of src/events/queue fills this in.
import type { Kysely } from 'kysely';
import type { QueueStore } from '../../core/queues.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

/** The tables this store adds to the Database type. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface QueueTables {}

export const queuesMigration: Migration = {
  id: 2,
  name: 'queues and messages',
  async up() {},
};

export class SqliteQueueStore implements QueueStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }
}
