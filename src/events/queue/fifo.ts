// FIFO queue rules with SQS's wording: which attributes a FIFO queue is created with, and what a
// message sent to one must carry (MessageGroupId, a deduplication id, no per-message delay).
import { createHash, randomUUID } from 'node:crypto';
import { LaambdaError } from '../../core/errors.ts';
import {
  DEFAULT_FIFO_ATTRIBUTES,
  isFifoName,
  md5Hex,
  md5OfMessageAttributes,
  queueInvalid,
  type FifoInsertResult,
  type NewFifoMessage,
  type Queue,
  type QueueAttributes,
} from '../../core/queues.ts';
import { validateMessage } from './messages.ts';
import type { EntryResult, SendEntry, SentMessage } from './service.ts';

/**
 * The attributes CreateQueue was given, checked against the name's type and with `fifoQueue:
 * false` on a standard queue dropped (so that a repeat create compares equal), plus the defaults
 * the queue starts from.
 */
export function creationAttributes(
  name: string,
  given: Partial<QueueAttributes>,
): { given: Partial<QueueAttributes>; base: Partial<QueueAttributes> } {
  const fifo = isFifoName(name);
  if (given.fifoQueue === true && !fifo) {
    throw queueInvalid(
      'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
      'name',
    );
  }
  if (fifo && given.fifoQueue !== true) {
    throw queueInvalid(`Queue name ${name} ends in .fifo: a FIFO queue needs the attribute FifoQueue=true.`, 'name');
  }
  const normalised = { ...given };
  if (!fifo) delete normalised.fifoQueue;
  return { given: normalised, base: fifo ? DEFAULT_FIFO_ATTRIBUTES : {} };
}

/** SetQueueAttributes may name FifoQueue only with the value the queue has. */
export function settableAttributes(queue: Queue, given: Partial<QueueAttributes>): Partial<QueueAttributes> {
  if (!('fifoQueue' in given)) return given;
  if ((given.fifoQueue ?? false) !== (queue.attributes.fifoQueue ?? false)) {
    throw queueInvalid('Invalid value for the parameter FifoQueue: a queue cannot change its type.', 'attribute-value', 'fifoQueue');
  }
  const rest = { ...given };
  delete rest.fifoQueue;
  return rest;
}

/** A redrive target must be of the source's type (SQS: FIFO to FIFO, standard to standard). */
export function checkDeadLetterType(source: QueueAttributes, dlq: Queue): void {
  if ((source.fifoQueue ?? false) === (dlq.attributes.fifoQueue ?? false)) return;
  throw queueInvalid(
    `Value ${JSON.stringify(source.redrivePolicy)} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.`,
    'attribute-value',
    'redrivePolicy',
  );
}

// SQS: up to 128 characters, letters, digits and punctuation.
const FIFO_TOKEN = /^[\x21-\x7E]{1,128}$/;

export interface FifoSendFields {
  groupId?: string;
  deduplicationId?: string;
  delayS?: number;
}

/** The group, deduplication id and key of one message sent to a FIFO queue; throws ERR_QUEUE_INVALID. */
export function fifoFields(
  attributes: QueueAttributes,
  body: string,
  entry: FifoSendFields,
): { groupId: string; deduplicationId: string; deduplicationKey: string } {
  if (entry.groupId === undefined || entry.groupId === '') {
    throw queueInvalid('The request must contain the parameter MessageGroupId.', 'missing-parameter');
  }
  if (!FIFO_TOKEN.test(entry.groupId)) {
    throw queueInvalid(`Value ${entry.groupId} for parameter MessageGroupId is invalid. Reason: up to 128 letters, digits and punctuation.`, 'parameter');
  }
  // Lenient with 0, which some clients always send; any real delay is per queue only.
  if (entry.delayS !== undefined && entry.delayS !== 0) {
    throw queueInvalid(
      `Value ${entry.delayS} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
      'parameter',
    );
  }
  let deduplicationId = entry.deduplicationId;
  if (deduplicationId === undefined || deduplicationId === '') {
    if (attributes.contentBasedDeduplication !== true) {
      throw queueInvalid('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly', 'parameter');
    }
    deduplicationId = createHash('sha256').update(body, 'utf8').digest('hex');
  } else if (!FIFO_TOKEN.test(deduplicationId)) {
    throw queueInvalid(
      `Value ${deduplicationId} for parameter MessageDeduplicationId is invalid. Reason: up to 128 letters, digits and punctuation.`,
      'parameter',
    );
  }
  const deduplicationKey = attributes.deduplicationScope === 'messageGroup' ? `${entry.groupId}\u0000${deduplicationId}` : deduplicationId;
  return { groupId: entry.groupId, deduplicationId, deduplicationKey };
}

/** A standard queue refuses the FIFO-only MessageDeduplicationId (MessageGroupId is allowed: fair queues). */
export function checkStandardFields(entry: FifoSendFields): void {
  if (entry.deduplicationId !== undefined) {
    throw queueInvalid(
      'Value for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.',
      'parameter',
    );
  }
}

export interface SendFifoOptions {
  queue: Queue;
  entries: SendEntry[];
  senderId: string;
  now: number;
  /** Stores the accepted messages in one transaction (QueueStore.insertFifoMessages). */
  insert(rows: NewFifoMessage[], now: number): Promise<FifoInsertResult[]>;
}

/**
 * A send to a FIFO queue: each entry checked on its own, the accepted ones stored in order;
 * a duplicate's result carries the original message's id and sequence number.
 */
export async function sendFifo(options: SendFifoOptions): Promise<{ results: Array<EntryResult<SentMessage>>; enqueued: boolean }> {
  const { queue, entries, senderId, now } = options;
  const rows: NewFifoMessage[] = [];
  const accepted: number[] = [];
  const results: Array<EntryResult<SentMessage>> = entries.map((entry, index) => {
    try {
      const attributes = entry.messageAttributes ?? {};
      validateMessage(entry.body, attributes, queue.attributes.maximumMessageSize);
      const fields = fifoFields(queue.attributes, entry.body, entry);
      const sent: SentMessage = { messageId: randomUUID(), md5OfBody: md5Hex(entry.body), md5OfMessageAttributes: md5OfMessageAttributes(attributes) };
      rows.push({
        ...sent,
        body: entry.body,
        messageAttributes: attributes,
        senderId,
        sentAt: now,
        visibleAt: now + queue.attributes.delayS * 1000,
        expiresAt: now + queue.attributes.retentionS * 1000,
        ...fields,
      });
      accepted.push(index);
      return { ok: true, ...sent };
    } catch (error) {
      if (error instanceof LaambdaError) return { ok: false, error };
      throw error;
    }
  });
  if (rows.length === 0) return { results, enqueued: false };
  const inserted = await options.insert(rows, now);
  inserted.forEach((outcome, i) => {
    const index = accepted[i]!;
    const result = results[index]!;
    if (result.ok) results[index] = { ...result, messageId: outcome.messageId, sequenceNumber: outcome.sequenceNumber };
  });
  return { results, enqueued: inserted.some((outcome) => !outcome.duplicate) };
}
