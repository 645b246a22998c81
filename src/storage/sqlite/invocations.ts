import type { Kysely, Selectable } from 'kysely';
import type { AsyncInvocation, AsyncInvocationStore } from '../../core/platform.ts';
import { appMissing, guard, isForeignKeyViolation, storageError } from './errors.ts';
import type { AsyncInvocationsTable, Database } from './schema.ts';

export class SqliteAsyncInvocationStore implements AsyncInvocationStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async enqueue(invocation: AsyncInvocation): Promise<void> {
    try {
      await this.#db
        .insertInto('async_invocations')
        .values({
          id: invocation.id,
          app_id: invocation.appId,
          function_name: invocation.functionName,
          release: invocation.release,
          payload: invocation.payload,
          attempts: invocation.attempts,
          created_at: invocation.createdAt,
        })
        .execute();
    } catch (error) {
      if (isForeignKeyViolation(error)) throw appMissing(invocation.appId, error);
      throw storageError(`queue invocation ${invocation.id}`, error);
    }
  }

  pending(limit: number): Promise<AsyncInvocation[]> {
    return guard('read pending invocations', async () => {
      const rows = await this.#db
        .selectFrom('async_invocations')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toInvocation);
    });
  }

  remove(id: string): Promise<void> {
    return guard(`remove invocation ${id}`, async () => {
      await this.#db.deleteFrom('async_invocations').where('id', '=', id).execute();
    });
  }

  recordAttempt(id: string): Promise<void> {
    return guard(`count an attempt of invocation ${id}`, async () => {
      await this.#db
        .updateTable('async_invocations')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .execute();
    });
  }
}

function toInvocation(row: Selectable<AsyncInvocationsTable>): AsyncInvocation {
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
  };
}
