import type { Kysely, Selectable } from 'kysely';
import type { FunctionOverrides, Release, ReleaseDraft, ReleaseKind, ReleaseStore } from '../../core/platform.ts';
import { appMissing, guard, isForeignKeyViolation, isUniqueViolation, storageError } from './errors.ts';
import type { Database, ReleasesTable } from './schema.ts';

// On SQLite, Kysely runs transactions one at a time on its single connection, so the
// read-max-then-insert below never races within a process. On PostgreSQL two transactions can
// read the same max; the primary key refuses the second, which then tries again.
const APPEND_ATTEMPTS = 5;

export class SqliteReleaseStore implements ReleaseStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async append(appId: string, draft: ReleaseDraft, createdAt: number): Promise<Release> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(async (trx) => {
          const { max } = await trx
            .selectFrom('releases')
            .select((eb) => eb.fn.max<number | null>('version').as('max'))
            .where('app_id', '=', appId)
            .executeTakeFirstOrThrow();
          const row = toRow(appId, Number(max ?? 0) + 1, draft, createdAt);
          await trx.insertInto('releases').values(row).execute();
          return toRelease(row);
        });
      } catch (error) {
        if (isUniqueViolation(error) && attempt < APPEND_ATTEMPTS) continue;
        if (isForeignKeyViolation(error)) throw appMissing(appId, error);
        throw storageError(`append a release to app ${appId}`, error);
      }
    }
  }

  latest(appId: string): Promise<Release | undefined> {
    return guard(`read the latest release of app ${appId}`, async () => {
      const row = await this.#db
        .selectFrom('releases')
        .selectAll()
        .where('app_id', '=', appId)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && toRelease(row);
    });
  }

  get(appId: string, version: number): Promise<Release | undefined> {
    return guard(`read release v${version} of app ${appId}`, async () => {
      const row = await this.#db
        .selectFrom('releases')
        .selectAll()
        .where('app_id', '=', appId)
        .where('version', '=', version)
        .executeTakeFirst();
      return row && toRelease(row);
    });
  }

  list(appId: string, options: { limit?: number } = {}): Promise<Release[]> {
    return guard(`list the releases of app ${appId}`, async () => {
      let query = this.#db.selectFrom('releases').selectAll().where('app_id', '=', appId).orderBy('version', 'desc');
      if (options.limit !== undefined) query = query.limit(options.limit);
      return (await query.execute()).map(toRelease);
    });
  }
}

function toRow(appId: string, version: number, draft: ReleaseDraft, createdAt: number): ReleasesTable {
  return {
    app_id: appId,
    version,
    kind: draft.kind,
    description: draft.description,
    author: draft.author,
    created_at: createdAt,
    artifact: draft.artifact,
    build_id: draft.buildId,
    definition: draft.definition,
    config: draft.config,
    overrides: JSON.stringify(draft.overrides),
  };
}

function toRelease(row: Selectable<ReleasesTable>): Release {
  return {
    appId: row.app_id,
    version: Number(row.version),
    kind: row.kind as ReleaseKind,
    description: row.description,
    author: row.author,
    createdAt: Number(row.created_at),
    artifact: row.artifact,
    buildId: row.build_id,
    definition: row.definition,
    config: row.config,
    overrides: JSON.parse(row.overrides) as Record<string, FunctionOverrides>,
  };
}
