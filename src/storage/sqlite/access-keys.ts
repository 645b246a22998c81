import type { Kysely, Selectable } from 'kysely';
import type { AccessKey, AccessKeyStore } from '../../core/platform.ts';
import { appMissing, guard, isForeignKeyViolation, storageError } from './errors.ts';
import type { AccessKeysTable, Database } from './schema.ts';

export class SqliteAccessKeyStore implements AccessKeyStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(key: AccessKey): Promise<AccessKey> {
    const row: AccessKeysTable = { id: key.id, app_id: key.appId, secret: key.secret, created_at: key.createdAt };
    try {
      await this.#db.insertInto('access_keys').values(row).execute();
    } catch (error) {
      if (isForeignKeyViolation(error)) throw appMissing(key.appId, error);
      throw storageError(`create access key ${key.id}`, error);
    }
    return toKey(row);
  }

  get(id: string): Promise<AccessKey | undefined> {
    return guard(`read access key ${id}`, async () => {
      const row = await this.#db.selectFrom('access_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toKey(row);
    });
  }

  /** Oldest first. */
  list(appId: string): Promise<AccessKey[]> {
    return guard(`list the access keys of app ${appId}`, async () => {
      const rows = await this.#db
        .selectFrom('access_keys')
        .selectAll()
        .where('app_id', '=', appId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toKey);
    });
  }

  remove(id: string): Promise<boolean> {
    return guard(`remove access key ${id}`, async () => {
      const result = await this.#db.deleteFrom('access_keys').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }
}

function toKey(row: Selectable<AccessKeysTable>): AccessKey {
  return { id: row.id, appId: row.app_id, secret: row.secret, createdAt: Number(row.created_at) };
}
