// The FIFO parts of the SQLite queue store: inserts that deduplicate and number messages, and
// the choice of which visible messages a FIFO receive may hand out.
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import { formatSequenceNumber, type FifoInsertResult, type NewFifoMessage, type NewMessage } from '../../core/queues.ts';
import type { QueueMessagesTable } from './queues.ts';
import type { Database } from './schema.ts';

/** One transaction: dedup check, sequence number, insert, in the batch's order. */
export function insertFifo(
  db: Kysely<Database>,
  queueId: string,
  messages: NewFifoMessage[],
  row: (message: NewMessage) => Insertable<QueueMessagesTable>,
  window: { now: number; windowMs: number },
): Promise<FifoInsertResult[]> {
  return db.transaction().execute(async (trx) => {
    const queue = await trx.selectFrom('queues').select('fifo_sequence').where('id', '=', queueId).executeTakeFirst();
    let sequence = Number(queue?.fifo_sequence ?? 0);
    const results: FifoInsertResult[] = [];
    for (const message of messages) {
      const seen = await trx
        .selectFrom('queue_deduplication')
        .select(['message_id', 'sequence'])
        .where('queue_id', '=', queueId)
        .where('dedup_key', '=', message.deduplicationKey)
        .where('expires_at', '>', window.now)
        .executeTakeFirst();
      if (seen !== undefined) {
        // SQS accepts a duplicate and answers with the original message, but stores nothing.
        results.push({ messageId: seen.message_id, sequenceNumber: formatSequenceNumber(Number(seen.sequence)), duplicate: true });
        continue;
      }
      sequence += 1;
      await trx.deleteFrom('queue_deduplication').where('queue_id', '=', queueId).where('dedup_key', '=', message.deduplicationKey).execute();
      await trx
        .insertInto('queue_deduplication')
        .values({
          queue_id: queueId,
          dedup_key: message.deduplicationKey,
          message_id: message.messageId,
          sequence,
          expires_at: window.now + window.windowMs,
        })
        .execute();
      await trx
        .insertInto('queue_messages')
        .values({ ...row(message), group_id: message.groupId, deduplication_id: message.deduplicationId, sequence })
        .execute();
      results.push({ messageId: message.messageId, sequenceNumber: formatSequenceNumber(sequence), duplicate: false });
    }
    // A queue deleted meanwhile has no row to update; its messages went with it.
    await trx.updateTable('queues').set({ fifo_sequence: sequence }).where('id', '=', queueId).execute();
    return results;
  });
}

/**
 * Up to `limit` visible messages a FIFO receive may deliver, grouped (the group of the oldest
 * message first, as SQS returns as many of one group as it can) and in sequence order within each
 * group. A group with a message in flight gives nothing; a group whose earlier message is still
 * delayed gives only what comes before that message.
 */
export async function fifoCandidates(
  trx: Transaction<Database>,
  queueId: string,
  now: number,
  limit: number,
): Promise<Array<Selectable<QueueMessagesTable>>> {
  const rows = await trx
    .selectFrom('queue_messages')
    .selectAll()
    .where('queue_id', '=', queueId)
    .where('visible_at', '<=', now)
    .where((eb) =>
      eb.or([
        eb('group_id', 'is', null),
        eb(
          'group_id',
          'not in',
          eb
            .selectFrom('queue_messages as inflight')
            .select('inflight.group_id')
            .where('inflight.queue_id', '=', queueId)
            .where('inflight.visible_at', '>', now)
            .where('inflight.receive_count', '>', 0)
            .where('inflight.group_id', 'is not', null),
        ),
      ]),
    )
    .orderBy('sequence')
    .limit(limit)
    .execute();
  if (rows.length === 0) return rows;
  const delayed = await trx
    .selectFrom('queue_messages')
    .select((eb) => ['group_id', eb.fn.min<number>('sequence').as('first')])
    .where('queue_id', '=', queueId)
    .where('visible_at', '>', now)
    .where('receive_count', '=', 0)
    .groupBy('group_id')
    .execute();
  const barrier = new Map(delayed.map((row) => [row.group_id, Number(row.first)]));
  const groups = new Map<string | null, Array<Selectable<QueueMessagesTable>>>();
  for (const row of rows) {
    const before = barrier.get(row.group_id);
    if (before !== undefined && Number(row.sequence) > before) continue;
    const list = groups.get(row.group_id) ?? [];
    list.push(row);
    groups.set(row.group_id, list);
  }
  return [...groups.values()].flat();
}
