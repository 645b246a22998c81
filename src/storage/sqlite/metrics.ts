// SQLite storage of one-minute metric rollups. Durations are kept in whole microseconds so the
// columns stay integers on every database; the histogram is JSON of its non-empty buckets.
import type { Kysely, Selectable } from 'kysely';
import { type MetricRollup, type MetricStore, mergeRollups, type RollupQuery } from '../../core/metrics.ts';
import { guard } from './errors.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

export interface MetricRollupsTable {
  app_id: string;
  function: string;
  release: string;
  minute: number;
  invocations: number;
  errors: number;
  throttles: number;
  timeouts: number;
  cold_starts: number;
  /** JSON object of bucket index → count, empty buckets left out. */
  duration_counts: string;
  duration_sum_us: number;
  duration_min_us: number;
  duration_max_us: number;
  billed_ms: number;
  max_memory_mb: number;
  max_concurrency: number;
}

/** The tables this store adds to the Database type. */
export interface MetricTables {
  metric_rollups: MetricRollupsTable;
}

export const metricsMigration: Migration = {
  id: 7,
  name: 'one-minute metric rollups',
  async up(db) {
    await db.schema
      .createTable('metric_rollups')
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('function', 'text', (c) => c.notNull())
      .addColumn('release', 'text', (c) => c.notNull())
      .addColumn('minute', 'bigint', (c) => c.notNull())
      .addColumn('invocations', 'integer', (c) => c.notNull())
      .addColumn('errors', 'integer', (c) => c.notNull())
      .addColumn('throttles', 'integer', (c) => c.notNull())
      .addColumn('timeouts', 'integer', (c) => c.notNull())
      .addColumn('cold_starts', 'integer', (c) => c.notNull())
      .addColumn('duration_counts', 'text', (c) => c.notNull())
      .addColumn('duration_sum_us', 'bigint', (c) => c.notNull())
      .addColumn('duration_min_us', 'bigint', (c) => c.notNull())
      .addColumn('duration_max_us', 'bigint', (c) => c.notNull())
      .addColumn('billed_ms', 'bigint', (c) => c.notNull())
      .addColumn('max_memory_mb', 'integer', (c) => c.notNull())
      .addColumn('max_concurrency', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('metric_rollups_pk', ['app_id', 'function', 'release', 'minute'])
      .execute();
    // Retention deletes by minute across all apps.
    await db.schema.createIndex('metric_rollups_minute').on('metric_rollups').column('minute').execute();
  },
};

const toUs = (ms: number): number => Math.round(ms * 1000);

function encodeCounts(counts: readonly number[]): string {
  const sparse: Record<string, number> = {};
  counts.forEach((count, index) => {
    if (count > 0) sparse[index] = count;
  });
  return JSON.stringify(sparse);
}

function decodeCounts(text: string): number[] {
  const sparse = JSON.parse(text) as Record<string, number>;
  const counts: number[] = [];
  for (const [index, count] of Object.entries(sparse)) counts[Number(index)] = count;
  return Array.from(counts, (count) => count ?? 0);
}

function toRow(rollup: MetricRollup): MetricRollupsTable {
  return {
    app_id: rollup.appId,
    function: rollup.function,
    release: rollup.release,
    minute: rollup.minute,
    invocations: rollup.invocations,
    errors: rollup.errors,
    throttles: rollup.throttles,
    timeouts: rollup.timeouts,
    cold_starts: rollup.coldStarts,
    duration_counts: encodeCounts(rollup.durationCounts),
    duration_sum_us: toUs(rollup.durationSumMs),
    duration_min_us: toUs(rollup.durationMinMs),
    duration_max_us: toUs(rollup.durationMaxMs),
    billed_ms: Math.round(rollup.billedMs),
    max_memory_mb: rollup.maxMemoryMB,
    max_concurrency: rollup.maxConcurrency,
  };
}

function fromRow(row: Selectable<MetricRollupsTable>): MetricRollup {
  return {
    appId: row.app_id,
    function: row.function,
    release: row.release,
    minute: Number(row.minute),
    invocations: Number(row.invocations),
    errors: Number(row.errors),
    throttles: Number(row.throttles),
    timeouts: Number(row.timeouts),
    coldStarts: Number(row.cold_starts),
    durationCounts: decodeCounts(row.duration_counts),
    durationSumMs: Number(row.duration_sum_us) / 1000,
    durationMinMs: Number(row.duration_min_us) / 1000,
    durationMaxMs: Number(row.duration_max_us) / 1000,
    billedMs: Number(row.billed_ms),
    maxMemoryMB: Number(row.max_memory_mb),
    maxConcurrency: Number(row.max_concurrency),
  };
}

export class SqliteMetricStore implements MetricStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }

  async addRollups(rollups: readonly MetricRollup[]): Promise<void> {
    if (rollups.length === 0) return;
    await guard('store metric rollups', () =>
      this.#db.transaction().execute(async (trx) => {
        // Minutes of an app removed meanwhile are dropped, not retried forever.
        const appIds = [...new Set(rollups.map((rollup) => rollup.appId))];
        const apps = await trx.selectFrom('apps').select('id').where('id', 'in', appIds).execute();
        const live = new Set(apps.map((app) => app.id));
        for (const rollup of rollups) {
          if (!live.has(rollup.appId)) continue;
          const existing = await trx
            .selectFrom('metric_rollups')
            .selectAll()
            .where('app_id', '=', rollup.appId)
            .where('function', '=', rollup.function)
            .where('release', '=', rollup.release)
            .where('minute', '=', rollup.minute)
            .executeTakeFirst();
          const row = toRow(existing === undefined ? rollup : mergeRollups(fromRow(existing), rollup));
          await trx
            .insertInto('metric_rollups')
            .values(row)
            .onConflict((oc) => oc.columns(['app_id', 'function', 'release', 'minute']).doUpdateSet(row))
            .execute();
        }
      }),
    );
  }

  async listRollups(query: RollupQuery): Promise<MetricRollup[]> {
    return guard('read metric rollups', async () => {
      let select = this.#db
        .selectFrom('metric_rollups')
        .selectAll()
        .where('app_id', '=', query.appId)
        .where('minute', '>=', query.since)
        .where('minute', '<', query.until);
      if (query.function !== undefined) select = select.where('function', '=', query.function);
      const rows = await select.orderBy('minute').orderBy('function').orderBy('release').execute();
      return rows.map(fromRow);
    });
  }

  async deleteRollupsBefore(minute: number): Promise<number> {
    return guard('delete old metric rollups', async () => {
      const result = await this.#db.deleteFrom('metric_rollups').where('minute', '<', minute).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}
