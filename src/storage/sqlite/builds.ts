import type { Kysely, Selectable } from 'kysely';
import type { Build, BuildStatus, BuildStore } from '../../core/platform.ts';
import { appMissing, guard, isForeignKeyViolation, storageError } from './errors.ts';
import { sortableId } from './ids.ts';
import type { BuildsTable, Database } from './schema.ts';

type BuildStart = Pick<Build, 'appId' | 'source' | 'revision' | 'author' | 'startedAt'>;
type BuildResult = Pick<Build, 'status' | 'artifact' | 'release' | 'error' | 'output' | 'finishedAt'>;

export class SqliteBuildStore implements BuildStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(build: BuildStart): Promise<Build> {
    const row: BuildsTable = {
      id: `b_${sortableId()}`,
      app_id: build.appId,
      status: 'running',
      source: build.source,
      revision: build.revision,
      author: build.author,
      artifact: null,
      release: null,
      error: null,
      output: '',
      started_at: build.startedAt,
      finished_at: null,
    };
    try {
      await this.#db.insertInto('builds').values(row).execute();
    } catch (error) {
      if (isForeignKeyViolation(error)) throw appMissing(build.appId, error);
      throw storageError(`start a build of app ${build.appId}`, error);
    }
    return toBuild(row);
  }

  /** A build that no longer exists (its app was removed meanwhile) is left alone. */
  finish(id: string, result: BuildResult): Promise<void> {
    return guard(`finish build ${id}`, async () => {
      await this.#db
        .updateTable('builds')
        .set({
          status: result.status,
          artifact: result.artifact,
          release: result.release,
          error: result.error,
          output: result.output,
          finished_at: result.finishedAt,
        })
        .where('id', '=', id)
        .execute();
    });
  }

  get(id: string): Promise<Build | undefined> {
    return guard(`read build ${id}`, async () => {
      const row = await this.#db.selectFrom('builds').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toBuild(row);
    });
  }

  /** Newest first: by start time, then by id (which sorts by creation) for equal times. */
  list(appId: string, options: { limit?: number } = {}): Promise<Build[]> {
    return guard(`list the builds of app ${appId}`, async () => {
      let query = this.#db
        .selectFrom('builds')
        .selectAll()
        .where('app_id', '=', appId)
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc');
      if (options.limit !== undefined) query = query.limit(options.limit);
      return (await query.execute()).map(toBuild);
    });
  }

  failUnfinished(error: string, finishedAt: number): Promise<number> {
    return guard('fail unfinished builds', async () => {
      const result = await this.#db
        .updateTable('builds')
        .set({ status: 'failed', error, finished_at: finishedAt })
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }
}

function toBuild(row: Selectable<BuildsTable>): Build {
  return {
    id: row.id,
    appId: row.app_id,
    status: row.status as BuildStatus,
    source: row.source,
    revision: row.revision,
    author: row.author,
    artifact: row.artifact,
    release: row.release === null ? null : Number(row.release),
    error: row.error,
    output: row.output,
    startedAt: Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}
