// SQLite storage of queues and messages. A message row moves between queues (redrive to a DLQ
// and back) by changing queue_id; it is hidden by pushing visible_at into the future.
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type {
  FifoInsertResult,
  MessageAttributes,
  NewFifoMessage,
  NewMessage,
  Queue,
  QueueAttributes,
  QueueCounts,
  QueueStore,
  Receipt,
  ReceiveOutcome,
  ReceiveRequest,
  StoredMessage,
} from '../../core/queues.ts';
import { formatSequenceNumber, queueInvalid } from '../../core/queues.ts';
import { appMissing, guard, isForeignKeyViolation, isUniqueViolation, storageError } from './errors.ts';
import type { Migration } from './migrations.ts';
import { fifoCandidates, insertFifo } from './queue-fifo.ts';
import type { Database } from './schema.ts';

export interface QueuesTable {
  id: string;
  app_id: string;
  name: string;
  /** JSON of QueueAttributes. */
  attributes: string;
  created_at: number;
  modified_at: number;
  /** FIFO queues: the last sequence number handed out (migration 8). */
  fifo_sequence: number;
}

export interface QueueMessagesTable {
  id: string;
  queue_id: string;
  body: string;
  /** JSON of MessageAttributes with binary values in base64; null when there are none. */
  attributes: string | null;
  md5_body: string;
  md5_attributes: string | null;
  sender_id: string;
  sent_at: number;
  visible_at: number;
  expires_at: number;
  receive_count: number;
  first_received_at: number | null;
  /** The token of the latest receive; a receipt handle is only good while it matches. */
  receipt: string | null;
  /** The queue a dead-lettered message came from, for redrive back. */
  source_queue_id: string | null;
  /** FIFO messages only (migration 8): MessageGroupId, MessageDeduplicationId, sequence counter. */
  group_id: string | null;
  deduplication_id: string | null;
  sequence: number | null;
}

/** FIFO deduplication ids seen in the last 5 minutes; they outlive the messages (as in SQS). */
export interface QueueDeduplicationTable {
  queue_id: string;
  /** The deduplication id, prefixed by the group under DeduplicationScope messageGroup. */
  dedup_key: string;
  message_id: string;
  sequence: number;
  expires_at: number;
}

/** The tables this store adds to the Database type. */
export interface QueueTables {
  queues: QueuesTable;
  queue_messages: QueueMessagesTable;
  queue_deduplication: QueueDeduplicationTable;
}

export const queuesMigration: Migration = {
  id: 2,
  name: 'queues and messages',
  async up(db) {
    await db.schema
      .createTable('queues')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('modified_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('queues_app_name', ['app_id', 'name'])
      .execute();
    await db.schema
      .createTable('queue_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id').onDelete('cascade'))
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('attributes', 'text')
      .addColumn('md5_body', 'text', (c) => c.notNull())
      .addColumn('md5_attributes', 'text')
      .addColumn('sender_id', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addColumn('visible_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('receive_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('first_received_at', 'bigint')
      .addColumn('receipt', 'text')
      .addColumn('source_queue_id', 'text')
      .execute();
    // Receive picks the earliest visible rows of one queue: this index answers it without a sort.
    await db.schema.createIndex('queue_messages_visible').on('queue_messages').columns(['queue_id', 'visible_at']).execute();
    await db.schema.createIndex('queue_messages_expires').on('queue_messages').column('expires_at').execute();
  },
};

export const fifoQueuesMigration: Migration = {
  id: 8,
  name: 'fifo queues',
  async up(db) {
    await db.schema.alterTable('queues').addColumn('fifo_sequence', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('queue_messages').addColumn('group_id', 'text').execute();
    await db.schema.alterTable('queue_messages').addColumn('deduplication_id', 'text').execute();
    await db.schema.alterTable('queue_messages').addColumn('sequence', 'bigint').execute();
    // A FIFO receive walks a queue's visible messages in sequence order.
    await db.schema.createIndex('queue_messages_sequence').on('queue_messages').columns(['queue_id', 'sequence']).execute();
    await db.schema
      .createTable('queue_deduplication')
      .addColumn('queue_id', 'text', (c) => c.notNull().references('queues.id').onDelete('cascade'))
      .addColumn('dedup_key', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('sequence', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('queue_deduplication_pk', ['queue_id', 'dedup_key'])
      .execute();
    await db.schema.createIndex('queue_deduplication_expires').on('queue_deduplication').column('expires_at').execute();
  },
};

// Rows looked at per round of a receive: a few more than asked, since expired and dead-lettered
// rows are skipped.
const RECEIVE_SLACK = 10;

export class SqliteQueueStore implements QueueStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }

  async createQueue(queue: Queue): Promise<void> {
    try {
      await this.#db
        .insertInto('queues')
        .values({
          id: queue.id,
          app_id: queue.appId,
          name: queue.name,
          attributes: JSON.stringify(queue.attributes),
          created_at: queue.createdAt,
          modified_at: queue.modifiedAt,
          fifo_sequence: 0,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw queueInvalid(`Queue ${queue.name} already exists`, 'name-exists');
      if (isForeignKeyViolation(error)) throw appMissing(queue.appId, error);
      throw storageError(`create queue ${queue.name}`, error);
    }
  }

  getQueue(appId: string, name: string): Promise<Queue | undefined> {
    return guard(`read queue ${name}`, async () => {
      const row = await this.#db
        .selectFrom('queues')
        .selectAll()
        .where('app_id', '=', appId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row && toQueue(row);
    });
  }

  getQueueById(id: string): Promise<Queue | undefined> {
    return guard(`read queue ${id}`, async () => {
      const row = await this.#db.selectFrom('queues').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toQueue(row);
    });
  }

  listQueues(appId: string, options: { prefix?: string; after?: string; limit: number }): Promise<Queue[]> {
    return guard('list queues', async () => {
      let query = this.#db.selectFrom('queues').selectAll().where('app_id', '=', appId);
      // A range instead of LIKE: queue names may hold _, LIKE's wildcard.
      if (options.prefix) query = query.where('name', '>=', options.prefix).where('name', '<', `${options.prefix}\u{10FFFF}`);
      if (options.after !== undefined) query = query.where('name', '>', options.after);
      const rows = await query.orderBy('name').limit(options.limit).execute();
      return rows.map(toQueue);
    });
  }

  updateAttributes(id: string, attributes: QueueAttributes, now: number): Promise<void> {
    return guard(`update queue ${id}`, async () => {
      await this.#db
        .updateTable('queues')
        .set({ attributes: JSON.stringify(attributes), modified_at: now })
        .where('id', '=', id)
        .execute();
    });
  }

  deleteQueue(id: string): Promise<void> {
    return guard(`delete queue ${id}`, async () => {
      await this.#db.deleteFrom('queues').where('id', '=', id).execute();
    });
  }

  insertMessages(queueId: string, messages: NewMessage[]): Promise<void> {
    return guard(`send to queue ${queueId}`, async () => {
      if (messages.length === 0) return;
      await this.#db
        .insertInto('queue_messages')
        .values(
          messages.map((message) => messageRow(queueId, message)),
        )
        .execute();
    });
  }

  insertFifoMessages(queueId: string, messages: NewFifoMessage[], now: number, windowMs: number): Promise<FifoInsertResult[]> {
    return guard(`send to queue ${queueId}`, () =>
      insertFifo(this.#db, queueId, messages, (message) => messageRow(queueId, message), { now, windowMs }),
    );
  }

  receive(request: ReceiveRequest): Promise<ReceiveOutcome> {
    return guard(`receive from queue ${request.queueId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const delivered: StoredMessage[] = [];
        let deadLettered = 0;
        // Each round either fills the batch or removes the rows it skipped, so it ends.
        for (let round = 0; round < 10 && delivered.length < request.max; round += 1) {
          const wanted = request.max - delivered.length;
          const rows = request.fifo
            ? await fifoCandidates(trx, request.queueId, request.now, wanted + RECEIVE_SLACK)
            : await trx
                .selectFrom('queue_messages')
                .selectAll()
                .where('queue_id', '=', request.queueId)
                .where('visible_at', '<=', request.now)
                .orderBy('visible_at')
                .limit(wanted + RECEIVE_SLACK)
                .execute();
          if (rows.length === 0) break;
          const take: Array<Selectable<QueueMessagesTable>> = [];
          const expired: string[] = [];
          const dead: string[] = [];
          for (const row of rows) {
            if (Number(row.expires_at) <= request.now) expired.push(row.id);
            else if (request.redrive && Number(row.receive_count) >= request.redrive.maxReceiveCount) dead.push(row.id);
            else if (take.length < wanted) take.push(row);
          }
          if (expired.length > 0) await trx.deleteFrom('queue_messages').where('id', 'in', expired).execute();
          if (dead.length > 0 && request.redrive) {
            await deadLetter(trx, request.queueId, dead, request.redrive, request.now);
            deadLettered += dead.length;
          }
          if (take.length > 0) {
            await trx
              .updateTable('queue_messages')
              .set((eb) => ({
                visible_at: request.now + request.visibilityTimeoutS * 1000,
                receive_count: eb('receive_count', '+', 1),
                first_received_at: eb.fn.coalesce('first_received_at', eb.val(request.now)),
                receipt: request.receipt,
              }))
              .where(
                'id',
                'in',
                take.map((row) => row.id),
              )
              .execute();
            for (const row of take) {
              delivered.push({
                ...toMessage(row),
                receiveCount: Number(row.receive_count) + 1,
                firstReceivedAt: row.first_received_at === null ? request.now : Number(row.first_received_at),
              });
            }
          }
          if (rows.length < wanted + RECEIVE_SLACK) break;
        }
        return { messages: delivered, deadLettered };
      }),
    );
  }

  deleteMessages(queueId: string, receipts: Receipt[]): Promise<number> {
    return guard(`delete messages of queue ${queueId}`, async () => {
      if (receipts.length === 0) return 0;
      const result = await this.#db
        .deleteFrom('queue_messages')
        // The id list first so the planner looks rows up by primary key, not by a queue scan.
        .where(
          'id',
          'in',
          receipts.map((r) => r.messageId),
        )
        .where('queue_id', '=', queueId)
        .where((eb) =>
          eb.or(
            receipts.map((r) => eb.and([eb('id', '=', r.messageId), eb('receipt', '=', r.receipt)])),
          ),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  changeVisibility(
    queueId: string,
    entries: Array<Receipt & { visibleAt: number }>,
    now: number,
  ): Promise<Array<'ok' | 'not-found' | 'not-inflight'>> {
    return guard(`change visibility in queue ${queueId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const results: Array<'ok' | 'not-found' | 'not-inflight'> = [];
        for (const entry of entries) {
          const row = await trx
            .selectFrom('queue_messages')
            .select(['receipt', 'visible_at'])
            .where('id', '=', entry.messageId)
            .where('queue_id', '=', queueId)
            .executeTakeFirst();
          if (row === undefined || row.receipt !== entry.receipt) results.push('not-found');
          else if (Number(row.visible_at) <= now) results.push('not-inflight');
          else {
            await trx.updateTable('queue_messages').set({ visible_at: entry.visibleAt }).where('id', '=', entry.messageId).execute();
            results.push('ok');
          }
        }
        return results;
      }),
    );
  }

  purge(queueId: string): Promise<number> {
    return guard(`purge queue ${queueId}`, async () => {
      const result = await this.#db.deleteFrom('queue_messages').where('queue_id', '=', queueId).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  counts(queueId: string, now: number): Promise<QueueCounts> {
    return guard(`count messages of queue ${queueId}`, async () => {
      const row = await this.#db
        .selectFrom('queue_messages')
        .where('queue_id', '=', queueId)
        .select((eb) => [
          eb.fn.countAll<number>().as('total'),
          eb.fn.sum<number>(eb.case().when('visible_at', '<=', now).then(1).else(0).end()).as('visible'),
          eb.fn
            .sum<number>(eb.case().when(eb.and([eb('visible_at', '>', now), eb('receive_count', '=', 0)])).then(1).else(0).end())
            .as('delayed'),
          eb.fn.min<number>('sent_at').as('oldest'),
        ])
        .executeTakeFirstOrThrow();
      const total = Number(row.total);
      const visible = Number(row.visible ?? 0);
      const delayed = Number(row.delayed ?? 0);
      return {
        visible,
        delayed,
        inFlight: total - visible - delayed,
        oldestSentAt: row.oldest === null ? undefined : Number(row.oldest),
      };
    });
  }

  nextVisibleAt(queueId: string, now: number): Promise<number | undefined> {
    return guard(`read queue ${queueId}`, async () => {
      const row = await this.#db
        .selectFrom('queue_messages')
        .select('visible_at')
        .where('queue_id', '=', queueId)
        .where('visible_at', '>', now)
        .orderBy('visible_at')
        .limit(1)
        .executeTakeFirst();
      return row === undefined ? undefined : Number(row.visible_at);
    });
  }

  redrive(dlqId: string, now: number): Promise<{ moved: number; queueIds: string[] }> {
    return guard(`redrive queue ${dlqId}`, () =>
      this.#db.transaction().execute(async (trx) => {
        const sources = await trx
          .selectFrom('queue_messages')
          .select('source_queue_id')
          .distinct()
          .where('queue_id', '=', dlqId)
          .where('source_queue_id', 'is not', null)
          .execute();
        let moved = 0;
        const queueIds: string[] = [];
        for (const { source_queue_id: source } of sources) {
          if (source === null) continue;
          // A source queue deleted since keeps its messages in the DLQ.
          const exists = await trx.selectFrom('queues').select('id').where('id', '=', source).executeTakeFirst();
          if (!exists) continue;
          const result = await trx
            .updateTable('queue_messages')
            .set({ queue_id: source, source_queue_id: null, visible_at: now, receive_count: 0, receipt: null })
            .where('queue_id', '=', dlqId)
            .where('source_queue_id', '=', source)
            .executeTakeFirst();
          moved += Number(result.numUpdatedRows);
          queueIds.push(source);
        }
        return { moved, queueIds };
      }),
    );
  }

  sweepExpired(now: number): Promise<number> {
    return guard('remove expired messages', async () => {
      const result = await this.#db.deleteFrom('queue_messages').where('expires_at', '<=', now).executeTakeFirst();
      await this.#db.deleteFrom('queue_deduplication').where('expires_at', '<=', now).execute();
      return Number(result.numDeletedRows);
    });
  }
}

async function deadLetter(
  trx: Transaction<Database>,
  sourceId: string,
  ids: string[],
  redrive: NonNullable<ReceiveRequest['redrive']>,
  now: number,
): Promise<void> {
  // Standard queues keep the original SentTimestamp, so the DLQ's retention counts from it.
  await trx
    .updateTable('queue_messages')
    .set((eb) => ({
      queue_id: redrive.dlqId,
      source_queue_id: sourceId,
      visible_at: now,
      receipt: null,
      expires_at: eb('sent_at', '+', redrive.dlqRetentionS * 1000),
    }))
    .where('id', 'in', ids)
    .execute();
}

function toQueue(row: Selectable<QueuesTable>): Queue {
  return {
    id: row.id,
    appId: row.app_id,
    name: row.name,
    attributes: JSON.parse(row.attributes) as QueueAttributes,
    createdAt: Number(row.created_at),
    modifiedAt: Number(row.modified_at),
  };
}

function toMessage(row: Selectable<QueueMessagesTable>): StoredMessage {
  return {
    messageId: row.id,
    body: row.body,
    messageAttributes: decodeAttributes(row.attributes),
    md5OfBody: row.md5_body,
    md5OfMessageAttributes: row.md5_attributes ?? undefined,
    senderId: row.sender_id,
    sentAt: Number(row.sent_at),
    receiveCount: Number(row.receive_count),
    firstReceivedAt: row.first_received_at === null ? undefined : Number(row.first_received_at),
    ...(row.group_id !== null && row.sequence !== null
      ? { fifo: { groupId: row.group_id, deduplicationId: row.deduplication_id ?? '', sequenceNumber: formatSequenceNumber(Number(row.sequence)) } }
      : {}),
  };
}

type EncodedAttribute = { t: string; s?: string; b?: string };

/** The row of a new message, never received yet (FIFO inserts add group, dedup id and sequence). */
function messageRow(queueId: string, message: NewMessage): Insertable<QueueMessagesTable> {
  return {
    id: message.messageId,
    queue_id: queueId,
    body: message.body,
    attributes: encodeAttributes(message.messageAttributes),
    md5_body: message.md5OfBody,
    md5_attributes: message.md5OfMessageAttributes ?? null,
    sender_id: message.senderId,
    sent_at: message.sentAt,
    visible_at: message.visibleAt,
    expires_at: message.expiresAt,
    receive_count: 0,
    first_received_at: null,
    receipt: null,
    source_queue_id: null,
  };
}

function encodeAttributes(attributes: MessageAttributes): string | null {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return null;
  const encoded: Record<string, EncodedAttribute> = {};
  for (const [name, value] of entries) {
    encoded[name] =
      value.binaryValue !== undefined
        ? { t: value.dataType, b: value.binaryValue.toString('base64') }
        : { t: value.dataType, s: value.stringValue ?? '' };
  }
  return JSON.stringify(encoded);
}

function decodeAttributes(text: string | null): MessageAttributes {
  if (text === null) return {};
  const attributes: MessageAttributes = {};
  for (const [name, value] of Object.entries(JSON.parse(text) as Record<string, EncodedAttribute>)) {
    attributes[name] =
      value.b !== undefined
        ? { dataType: value.t, binaryValue: Buffer.from(value.b, 'base64') }
        : { dataType: value.t, stringValue: value.s ?? '' };
  }
  return attributes;
}
