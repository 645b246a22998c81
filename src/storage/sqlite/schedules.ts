// SQLite storage of schedule state (anchor and last tick, so each tick fires once across
// restarts). The same migration gives async invocations their retry time and source.
import type { Kysely, Selectable } from 'kysely';
import type { ScheduleKey, ScheduleState, ScheduleStore } from '../../core/schedules.ts';
import { appMissing, guard, isForeignKeyViolation, storageError } from './errors.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

export interface ScheduleStatesTable {
  app_id: string;
  function_name: string;
  expression: string;
  anchor_at: number;
  /** 1 or 0. */
  enabled: number;
  last_tick_at: number | null;
  last_fired_at: number | null;
}

/** The tables this store adds to the Database type. */
export interface ScheduleTables {
  schedule_states: ScheduleStatesTable;
}

/**
 * Columns this migration adds to `async_invocations` (src/storage/sqlite/invocations.ts reads
 * them through `withTables`, as schema.ts's AsyncInvocationsTable predates them).
 */
export interface AsyncInvocationRetryColumns {
  /** When the invocation may run next (ms). */
  next_attempt_at: number;
  /** What queued it: invoke, bucket, schedule, destination… */
  source: string;
}

export const schedulesMigration: Migration = {
  id: 4,
  name: 'schedule ticks and async retries',
  async up(db) {
    await db.schema
      .createTable('schedule_states')
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('function_name', 'text', (c) => c.notNull())
      .addColumn('expression', 'text', (c) => c.notNull())
      .addColumn('anchor_at', 'bigint', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('last_tick_at', 'bigint')
      .addColumn('last_fired_at', 'bigint')
      .addPrimaryKeyConstraint('schedule_states_pk', ['app_id', 'function_name', 'expression'])
      .execute();

    // Rows queued before this migration are due at once.
    await db.schema.alterTable('async_invocations').addColumn('next_attempt_at', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('async_invocations').addColumn('source', 'text', (c) => c.notNull().defaultTo('invoke')).execute();
    await db.schema.createIndex('async_invocations_due').on('async_invocations').columns(['next_attempt_at']).execute();
  },
};

export class SqliteScheduleStore implements ScheduleStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async upsert(key: ScheduleKey, enabled: boolean, now: number): Promise<ScheduleState> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('schedule_states')
          .selectAll()
          .where('app_id', '=', key.appId)
          .where('function_name', '=', key.functionName)
          .where('expression', '=', key.expression)
          .executeTakeFirst();
        if (row === undefined) {
          const created: ScheduleStatesTable = {
            app_id: key.appId,
            function_name: key.functionName,
            expression: key.expression,
            anchor_at: now,
            enabled: enabled ? 1 : 0,
            last_tick_at: null,
            last_fired_at: null,
          };
          await trx.insertInto('schedule_states').values(created).execute();
          return toState(created);
        }
        await trx
          .updateTable('schedule_states')
          .set({ enabled: enabled ? 1 : 0 })
          .where('app_id', '=', key.appId)
          .where('function_name', '=', key.functionName)
          .where('expression', '=', key.expression)
          .execute();
        return toState(row);
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) throw appMissing(key.appId, error);
      throw storageError(`store schedule ${key.expression} of ${key.functionName}`, error);
    }
  }

  recordTick(key: ScheduleKey, tickAt: number, fired: boolean): Promise<void> {
    return guard(`record a tick of schedule ${key.expression}`, async () => {
      await this.#db
        .updateTable('schedule_states')
        .set(fired ? { last_tick_at: tickAt, last_fired_at: tickAt } : { last_tick_at: tickAt })
        .where('app_id', '=', key.appId)
        .where('function_name', '=', key.functionName)
        .where('expression', '=', key.expression)
        .where((eb) => eb.or([eb('last_tick_at', 'is', null), eb('last_tick_at', '<', tickAt)]))
        .execute();
    });
  }

  list(appId: string): Promise<ScheduleState[]> {
    return guard('list schedules', async () => {
      const rows = await this.#db
        .selectFrom('schedule_states')
        .selectAll()
        .where('app_id', '=', appId)
        .orderBy('function_name')
        .orderBy('expression')
        .execute();
      return rows.map(toState);
    });
  }

  prune(appId: string, keep: readonly ScheduleKey[]): Promise<number> {
    return guard('forget removed schedules', async () => {
      const kept = new Set(keep.map((key) => `${key.functionName}\n${key.expression}`));
      const rows = await this.#db.selectFrom('schedule_states').select(['function_name', 'expression']).where('app_id', '=', appId).execute();
      const gone = rows.filter((row) => !kept.has(`${row.function_name}\n${row.expression}`));
      for (const row of gone) {
        await this.#db
          .deleteFrom('schedule_states')
          .where('app_id', '=', appId)
          .where('function_name', '=', row.function_name)
          .where('expression', '=', row.expression)
          .execute();
      }
      return gone.length;
    });
  }
}

function toState(row: Selectable<ScheduleStatesTable>): ScheduleState {
  return {
    appId: row.app_id,
    functionName: row.function_name,
    expression: row.expression,
    anchorAt: Number(row.anchor_at),
    enabled: Number(row.enabled) === 1,
    lastTickAt: row.last_tick_at === null ? null : Number(row.last_tick_at),
    lastFiredAt: row.last_fired_at === null ? null : Number(row.last_fired_at),
  };
}
