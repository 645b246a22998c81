import type { Kysely, Selectable } from 'kysely';
import type { AsyncInvocation, AsyncInvocationDraft, AsyncInvocationStore } from '../../core/platform.ts';
import { appMissing, guard, isForeignKeyViolation, storageError } from './errors.ts';
import type { AsyncInvocationsTable, Database } from './schema.ts';
import type { AsyncInvocationRetryColumns } from './schedules.ts';

// Migration 4 (src/storage/sqlite/schedules.ts) added the retry columns.
type InvocationRow = AsyncInvocationsTable & AsyncInvocationRetryColumns;
type InvocationDatabase = Omit<Database, 'async_invocations'> & { async_invocations: InvocationRow };

export class SqliteAsyncInvocationStore implements AsyncInvocationStore {
  readonly #db: Kysely<InvocationDatabase>;

  constructor(db: Kysely<Database>) {
    this.#db = db as unknown as Kysely<InvocationDatabase>;
  }

  async enqueue(invocation: AsyncInvocationDraft): Promise<boolean> {
    try {
      // Lambda dedups async requests by request id: a repeated id is accepted and ignored.
      const result = await this.#db
        .insertInto('async_invocations')
        .values({
          id: invocation.id,
          app_id: invocation.appId,
          function_name: invocation.functionName,
          release: invocation.release,
          payload: invocation.payload,
          attempts: invocation.attempts,
          created_at: invocation.createdAt,
          next_attempt_at: invocation.nextAttemptAt ?? invocation.createdAt,
          source: invocation.source ?? 'invoke',
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    } catch (error) {
      if (isForeignKeyViolation(error)) throw appMissing(invocation.appId, error);
      throw storageError(`queue invocation ${invocation.id}`, error);
    }
  }

  pending(limit: number, now?: number): Promise<AsyncInvocation[]> {
    return guard('read pending invocations', async () => {
      let query = this.#db.selectFrom('async_invocations').selectAll();
      if (now !== undefined) query = query.where('next_attempt_at', '<=', now);
      const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
      return rows.map(toInvocation);
    });
  }

  nextDue(now: number): Promise<number | undefined> {
    return guard('read when the next invocation is due', async () => {
      const row = await this.#db
        .selectFrom('async_invocations')
        .select((eb) => eb.fn.min('next_attempt_at').as('next'))
        .where('next_attempt_at', '>', now)
        .executeTakeFirst();
      return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
    });
  }

  remove(id: string): Promise<void> {
    return guard(`remove invocation ${id}`, async () => {
      await this.#db.deleteFrom('async_invocations').where('id', '=', id).execute();
    });
  }

  recordAttempt(id: string, nextAttemptAt?: number): Promise<void> {
    return guard(`count an attempt of invocation ${id}`, async () => {
      await this.#db
        .updateTable('async_invocations')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), ...(nextAttemptAt === undefined ? {} : { next_attempt_at: nextAttemptAt }) }))
        .where('id', '=', id)
        .execute();
    });
  }
}

function toInvocation(row: Selectable<InvocationRow>): AsyncInvocation {
  const payload = row.payload;
  return {
    id: row.id,
    appId: row.app_id,
    functionName: row.function_name,
    release: row.release === null ? null : Number(row.release),
    // node:sqlite reads blobs as Uint8Array; share its memory rather than copy it.
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    nextAttemptAt: Number(row.next_attempt_at),
    source: row.source,
  };
}
