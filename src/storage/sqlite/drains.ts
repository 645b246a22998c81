// SQLite storage of log drains: one row per (app, URL).
import type { Kysely, Selectable } from 'kysely';
import type { Drain, DrainStore } from '../../core/drains.ts';
import { appMissing, guard, isForeignKeyViolation, isUniqueViolation, storageError } from './errors.ts';
import { sortableId } from './ids.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

export interface DrainsTable {
  id: string;
  app_id: string;
  url: string;
  created_at: number;
}

/** The tables this store adds to the Database type. */
export interface DrainTables {
  drains: DrainsTable;
}

export const drainsMigration: Migration = {
  id: 6,
  name: 'log drains',
  async up(db) {
    await db.schema
      .createTable('drains')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('drains_app_url', ['app_id', 'url'])
      .execute();
  },
};

export class SqliteDrainStore implements DrainStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }

  async add(appId: string, url: string, now: number): Promise<{ drain: Drain; created: boolean }> {
    const row: DrainsTable = { id: sortableId(now), app_id: appId, url, created_at: now };
    try {
      await this.#db.insertInto('drains').values(row).execute();
      return { drain: toDrain(row), created: true };
    } catch (error) {
      if (isForeignKeyViolation(error)) throw appMissing(appId, error);
      if (!isUniqueViolation(error)) throw storageError(`store drain ${url}`, error);
    }
    const existing = await guard(`read drain ${url}`, () =>
      this.#db.selectFrom('drains').selectAll().where('app_id', '=', appId).where('url', '=', url).executeTakeFirst(),
    );
    // Removed between the insert and this read: report it as stored, which it was a moment ago.
    return { drain: existing === undefined ? toDrain(row) : toDrain(existing), created: false };
  }

  remove(appId: string, url: string): Promise<boolean> {
    return guard(`remove drain ${url}`, async () => {
      const result = await this.#db.deleteFrom('drains').where('app_id', '=', appId).where('url', '=', url).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  list(appId: string): Promise<Drain[]> {
    return guard('list drains', async () => {
      const rows = await this.#db.selectFrom('drains').selectAll().where('app_id', '=', appId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toDrain);
    });
  }

  listAll(): Promise<Drain[]> {
    return guard('list drains', async () => {
      const rows = await this.#db.selectFrom('drains').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toDrain);
    });
  }
}

function toDrain(row: Selectable<DrainsTable>): Drain {
  return { id: row.id, appId: row.app_id, url: row.url, createdAt: Number(row.created_at) };
}
