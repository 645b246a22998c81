// The queue use-cases of one laambda instance, per app: what the SQS endpoint, the CLI and the
// queue → function mappings call. Waiting (long polls, delays) is in-process; state is durable.
import { randomBytes, randomUUID } from 'node:crypto';
import { LaambdaError } from '../../core/errors.ts';
import { silentLogger, systemClock, type Clock, type Logger } from '../../core/ports.ts';
import {
  DEDUPLICATION_WINDOW_MS,
  decodeReceiptHandle,
  encodeReceiptHandle,
  md5Hex,
  md5OfMessageAttributes,
  parseQueueArn,
  queueArn,
  queueInvalid,
  queueNotFound,
  resolveQueueAttributes,
  validateQueueName,
  type MessageAttributes,
  type NewMessage,
  type Queue,
  type QueueAttributes,
  type QueueCounts,
  type QueueStore,
  type ReceivedMessage,
} from '../../core/queues.ts';
import { checkDeadLetterType, checkStandardFields, creationAttributes, sendFifo, settableAttributes } from './fifo.ts';
import { validateMessage } from './messages.ts';
import { Waiters } from './waiters.ts';

export interface QueueServiceOptions {
  store: QueueStore;
  region: string;
  accountId: string;
  clock?: Clock;
  logger?: Logger;
  /** How often expired messages are removed; default 60 s. 0 turns the sweep off. */
  sweepIntervalMs?: number;
}

export interface SendEntry {
  body: string;
  /** Standard queues only (a FIFO queue allows 0). */
  delayS?: number;
  messageAttributes?: MessageAttributes;
  /** FIFO: required. Standard: accepted and ignored. */
  groupId?: string;
  /** FIFO only: required unless the queue has contentBasedDeduplication. */
  deduplicationId?: string;
}

export interface SentMessage {
  /** For a duplicate sent within the deduplication window, the original message's id. */
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes: string | undefined;
  /** FIFO queues only. */
  sequenceNumber?: string;
}

/** Per entry of a batch: its result, or why it was refused (the others still happen). */
export type EntryResult<T> = ({ ok: true } & T) | { ok: false; error: LaambdaError };

export interface ReceiveOptions {
  /** 1-10000 (the SQS endpoint allows 1-10). */
  max: number;
  /** Overrides the queue's VisibilityTimeout for these messages. */
  visibilityTimeoutS?: number;
  /** Long poll: wait up to this long for a first message; default the queue's receiveWaitS. */
  waitS?: number;
}

export interface QueueInfo {
  queue: Queue;
  arn: string;
  counts: QueueCounts;
}

export interface QueueStats extends QueueCounts {
  /** Seconds since the oldest message was sent; 0 when empty. */
  ageOfOldestMessageS: number;
}

export interface QueueService {
  readonly region: string;
  readonly accountId: string;
  arn(name: string): string;
  /** Idempotent for the same attributes; ERR_QUEUE_INVALID reason 'name-exists' when they differ. */
  createQueue(appId: string, name: string, attributes?: Partial<QueueAttributes>): Promise<Queue>;
  /** ERR_QUEUE_NOT_FOUND when the app has no such queue. */
  getQueue(appId: string, name: string): Promise<Queue>;
  listQueues(
    appId: string,
    options?: { prefix?: string; max?: number; nextToken?: string },
  ): Promise<{ queues: Queue[]; nextToken?: string }>;
  deleteQueue(appId: string, name: string): Promise<void>;
  getAttributes(appId: string, name: string): Promise<QueueInfo>;
  setAttributes(appId: string, name: string, attributes: Partial<QueueAttributes>): Promise<Queue>;
  send(appId: string, name: string, entries: SendEntry[], options?: { senderId?: string }): Promise<Array<EntryResult<SentMessage>>>;
  receive(appId: string, name: string, options: ReceiveOptions, signal?: AbortSignal): Promise<ReceivedMessage[]>;
  deleteMessages(appId: string, name: string, receiptHandles: string[]): Promise<Array<EntryResult<object>>>;
  changeVisibility(
    appId: string,
    name: string,
    entries: Array<{ receiptHandle: string; visibilityTimeoutS: number }>,
  ): Promise<Array<EntryResult<object>>>;
  purge(appId: string, name: string): Promise<number>;
  /** Moves every message of the DLQ back to the queue it was dead-lettered from. */
  redrive(appId: string, dlqName: string): Promise<{ moved: number }>;
  stats(appId: string, name: string): Promise<QueueStats>;
  /** Names of the app's queues whose redrive policy targets this queue. */
  deadLetterSources(appId: string, name: string): Promise<string[]>;
  /**
   * Drops what the service remembers of an app's queues (call it after removing the app): its
   * cached queues stop being served and its long polls end.
   */
  forgetApp(appId: string): void;
  /** Stops the sweep timer and ends every long poll. */
  close(): void;
}

const MAX_VISIBILITY_S = 43_200;

export function createQueueService(options: QueueServiceOptions): QueueService {
  const { store, region, accountId } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const waiters = new Waiters();
  let closed = false;

  const sweepMs = options.sweepIntervalMs ?? 60_000;
  const sweep =
    sweepMs > 0
      ? setInterval(() => {
          store.sweepExpired(clock.now()).then(
            (removed) => removed > 0 && logger.info({ removed }, 'expired queue messages removed'),
            (error: unknown) => logger.error({ err: error }, 'queue retention sweep failed'),
          );
        }, sweepMs)
      : undefined;
  sweep?.unref();

  const arn = (name: string): string => queueArn(region, accountId, name);

  // Queue rows change only through this service (one server per data dir), so every hot-path
  // operation skips its lookup query; create, set and delete keep the cache right.
  const cache = new Map<string, Queue>();
  const cacheKey = (appId: string, name: string): string => `${appId}\u0000${name}`;
  const lookup = async (appId: string, name: string): Promise<Queue | undefined> => {
    const key = cacheKey(appId, name);
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const queue = await store.getQueue(appId, name);
    if (queue !== undefined) {
      if (cache.size >= 10_000) cache.clear();
      cache.set(key, queue);
    }
    return queue;
  };
  const find = async (appId: string, name: string): Promise<Queue> => {
    const queue = await lookup(appId, name);
    if (queue === undefined) throw queueNotFound(name);
    return queue;
  };

  /** The DLQ a policy names, checked to exist in the same app. */
  const deadLetterQueue = async (appId: string, self: string, attributes: QueueAttributes): Promise<void> => {
    const policy = attributes.redrivePolicy;
    if (policy === undefined) return;
    const target = parseQueueArn(policy.deadLetterTargetArn);
    if (target === undefined || target.name === self) {
      throw queueInvalid(`Value ${policy.deadLetterTargetArn} for parameter RedrivePolicy is invalid: not another queue's ARN.`, 'attribute-value', 'redrivePolicy');
    }
    const dlq = await store.getQueue(appId, target.name);
    if (dlq === undefined) {
      throw queueInvalid(
        `Value ${JSON.stringify(policy)} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`,
        'attribute-value',
        'redrivePolicy',
      );
    }
    checkDeadLetterType(attributes, dlq);
  };

  const service: QueueService = {
    region,
    accountId,
    arn,

    async createQueue(appId, name, asked = {}) {
      validateQueueName(name);
      const { given, base } = creationAttributes(name, asked);
      const attributes = resolveQueueAttributes({ ...base, ...given });
      const existing = await store.getQueue(appId, name);
      if (existing !== undefined) return sameOrRefuse(existing, given);
      await deadLetterQueue(appId, name, attributes);
      const now = clock.now();
      const queue: Queue = { id: randomUUID(), appId, name, attributes, createdAt: now, modifiedAt: now };
      try {
        await store.createQueue(queue);
      } catch (error) {
        // Created by a concurrent request meanwhile.
        const raced = await store.getQueue(appId, name);
        if (raced !== undefined) return sameOrRefuse(raced, given);
        throw error;
      }
      logger.debug({ appId, queue: name }, 'queue created');
      return queue;
    },

    getQueue: find,

    async listQueues(appId, { prefix, max = 1000, nextToken } = {}) {
      const limit = Math.min(Math.max(max, 1), 1000);
      const after = nextToken === undefined ? undefined : Buffer.from(nextToken, 'base64url').toString('utf8');
      const queues = await store.listQueues(appId, { ...(prefix ? { prefix } : {}), ...(after !== undefined ? { after } : {}), limit: limit + 1 });
      if (queues.length <= limit) return { queues };
      const page = queues.slice(0, limit);
      return { queues: page, nextToken: Buffer.from(page.at(-1)!.name, 'utf8').toString('base64url') };
    },

    async deleteQueue(appId, name) {
      const queue = await find(appId, name);
      await store.deleteQueue(queue.id);
      cache.delete(cacheKey(appId, name));
      waiters.wake(queue.id);
      logger.info({ appId, queue: name }, 'queue deleted');
    },

    async getAttributes(appId, name) {
      const queue = await find(appId, name);
      return { queue, arn: arn(name), counts: await store.counts(queue.id, clock.now()) };
    },

    async setAttributes(appId, name, asked) {
      const queue = await find(appId, name);
      const given = settableAttributes(queue, asked);
      const attributes = resolveQueueAttributes(given, queue.attributes);
      // SQS removes a policy set to the empty string; the SQS layer passes that as undefined.
      if ('redrivePolicy' in given && given.redrivePolicy === undefined) delete attributes.redrivePolicy;
      if ('redriveAllowPolicy' in given && given.redriveAllowPolicy === undefined) delete attributes.redriveAllowPolicy;
      await deadLetterQueue(appId, name, attributes);
      const now = clock.now();
      await store.updateAttributes(queue.id, attributes, now);
      const updated = { ...queue, attributes, modifiedAt: now };
      cache.set(cacheKey(appId, name), updated);
      return updated;
    },

    async send(appId, name, entries, { senderId = 'laambda' } = {}) {
      const queue = await find(appId, name);
      if (queue.attributes.fifoQueue === true) {
        const { results, enqueued } = await sendFifo({
          queue,
          entries,
          senderId,
          now: clock.now(),
          insert: (rows, now) => stored(queue, () => store.insertFifoMessages(queue.id, rows, now, DEDUPLICATION_WINDOW_MS)),
        });
        if (enqueued) waiters.wake(queue.id);
        return results;
      }
      const now = clock.now();
      const rows: NewMessage[] = [];
      const results = entries.map((entry): EntryResult<SentMessage> => {
        try {
          const attributes = entry.messageAttributes ?? {};
          validateMessage(entry.body, attributes, queue.attributes.maximumMessageSize);
          checkStandardFields(entry);
          const delayS = entry.delayS ?? queue.attributes.delayS;
          if (!Number.isInteger(delayS) || delayS < 0 || delayS > 900) {
            throw queueInvalid(`Value ${delayS} for parameter DelaySeconds is invalid. Reason: must be 0-900.`, 'parameter');
          }
          const sent: SentMessage = {
            messageId: randomUUID(),
            md5OfBody: md5Hex(entry.body),
            md5OfMessageAttributes: md5OfMessageAttributes(attributes),
          };
          rows.push({
            ...sent,
            body: entry.body,
            messageAttributes: attributes,
            senderId,
            sentAt: now,
            visibleAt: now + delayS * 1000,
            expiresAt: now + queue.attributes.retentionS * 1000,
          });
          return { ok: true, ...sent };
        } catch (error) {
          if (error instanceof LaambdaError) return { ok: false, error };
          throw error;
        }
      });
      await stored(queue, () => store.insertMessages(queue.id, rows));
      if (rows.length > 0) waiters.wake(queue.id);
      return results;
    },

    async receive(appId, name, { max, visibilityTimeoutS, waitS }, signal) {
      const queue = await find(appId, name);
      if (!Number.isInteger(max) || max < 1 || max > 10_000) {
        throw queueInvalid(`Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: must be between 1 and 10.`, 'parameter');
      }
      const timeout = visibilityTimeoutS ?? queue.attributes.visibilityTimeoutS;
      if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_VISIBILITY_S) {
        throw queueInvalid(`Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: must be 0-43200.`, 'parameter');
      }
      const wait = waitS ?? queue.attributes.receiveWaitS;
      if (!Number.isInteger(wait) || wait < 0 || wait > 20) {
        throw queueInvalid(`Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: must be 0-20.`, 'parameter');
      }
      const deadline = Date.now() + wait * 1000;
      for (;;) {
        if (cache.get(cacheKey(appId, name))?.id !== queue.id) {
          // Deleted (or replaced) during the long poll.
          if ((await lookup(appId, name))?.id !== queue.id) return [];
        }
        const redrive = await redriveTarget(queue);
        const now = clock.now();
        const seen = waiters.version(queue.id);
        const receipt = randomBytes(8).toString('hex');
        const outcome = await store.receive({
          queueId: queue.id,
          now,
          max,
          visibilityTimeoutS: timeout,
          receipt,
          ...(queue.attributes.fifoQueue === true ? { fifo: true } : {}),
          ...(redrive ? { redrive } : {}),
        });
        if (outcome.deadLettered > 0 && redrive) {
          logger.info({ appId, queue: name, count: outcome.deadLettered }, 'messages moved to the dead-letter queue');
          waiters.wake(redrive.dlqId);
        }
        if (outcome.messages.length > 0) {
          return outcome.messages.map((message) => ({
            ...message,
            receiptHandle: encodeReceiptHandle({ messageId: message.messageId, receipt }),
          }));
        }
        const left = deadline - Date.now();
        if (left <= 0 || closed || signal?.aborted) return [];
        const next = await store.nextVisibleAt(queue.id, now);
        // A message that becomes visible (delay or visibility over) ends the wait early.
        const untilVisible = next === undefined ? Infinity : Math.max(next - clock.now(), 1);
        await waiters.wait(queue.id, Math.min(left, untilVisible), signal, seen);
      }
    },

    async deleteMessages(appId, name, handles) {
      const queue = await find(appId, name);
      const receipts = handles.map(decodeReceiptHandle);
      const valid = receipts.filter((receipt) => receipt !== undefined);
      // A stale handle (the message was received again since, or is gone) deletes nothing, as in SQS.
      const deleted = await store.deleteMessages(queue.id, valid);
      // A FIFO group whose in-flight messages are gone may hand out its next ones.
      if (deleted > 0 && queue.attributes.fifoQueue === true) waiters.wake(queue.id);
      return receipts.map((receipt, index) =>
        receipt === undefined ? { ok: false, error: invalidHandle(handles[index]!) } : { ok: true },
      );
    },

    async changeVisibility(appId, name, entries) {
      const queue = await find(appId, name);
      const now = clock.now();
      const results: Array<EntryResult<object> | undefined> = [];
      const valid: Array<{ messageId: string; receipt: string; visibleAt: number; index: number }> = [];
      entries.forEach((entry, index) => {
        const receipt = decodeReceiptHandle(entry.receiptHandle);
        const timeout = entry.visibilityTimeoutS;
        if (receipt === undefined) results[index] = { ok: false, error: invalidHandle(entry.receiptHandle) };
        else if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_VISIBILITY_S) {
          results[index] = { ok: false, error: queueInvalid(`Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: must be 0-43200.`, 'parameter') };
        } else valid.push({ ...receipt, visibleAt: now + timeout * 1000, index });
      });
      const outcomes = await store.changeVisibility(queue.id, valid, now);
      valid.forEach((entry, i) => {
        const outcome = outcomes[i];
        results[entry.index] =
          outcome === 'ok'
            ? { ok: true }
            : outcome === 'not-inflight'
              ? { ok: false, error: queueInvalid(`Value ${entries[entry.index]!.receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`, 'not-inflight') }
              : { ok: false, error: invalidHandle(entries[entry.index]!.receiptHandle) };
      });
      if (valid.some((entry) => entry.visibleAt <= now)) waiters.wake(queue.id);
      return results.map((result) => result!);
    },

    async purge(appId, name) {
      const queue = await find(appId, name);
      const removed = await store.purge(queue.id);
      logger.info({ appId, queue: name, removed }, 'queue purged');
      return removed;
    },

    async redrive(appId, dlqName) {
      const dlq = await find(appId, dlqName);
      const { moved, queueIds } = await store.redrive(dlq.id, clock.now());
      for (const id of queueIds) waiters.wake(id);
      logger.info({ appId, queue: dlqName, moved }, 'dead-letter queue redriven');
      return { moved };
    },

    async stats(appId, name) {
      const queue = await find(appId, name);
      const now = clock.now();
      const counts = await store.counts(queue.id, now);
      const age = counts.oldestSentAt === undefined ? 0 : Math.max(0, Math.floor((now - counts.oldestSentAt) / 1000));
      return { ...counts, ageOfOldestMessageS: age };
    },

    async deadLetterSources(appId, name) {
      await find(appId, name);
      const sources: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listQueues(appId, { ...(after !== undefined ? { after } : {}), limit: 500 });
        for (const queue of page) {
          const policy = queue.attributes.redrivePolicy;
          if (policy && parseQueueArn(policy.deadLetterTargetArn)?.name === name) {
            sources.push(queue.name);
          }
        }
        if (page.length < 500) break;
        after = page.at(-1)!.name;
      }
      return sources;
    },

    forgetApp(appId) {
      const prefix = cacheKey(appId, '');
      for (const [key, queue] of cache) {
        if (!key.startsWith(prefix)) continue;
        cache.delete(key);
        waiters.wake(queue.id);
      }
    },

    close() {
      closed = true;
      if (sweep) clearInterval(sweep);
      waiters.wakeAll();
    },
  };

  /**
   * Runs a write against a cached queue; when it fails because the queue (or its app) is gone,
   * the cache forgets the queue and the caller gets ERR_QUEUE_NOT_FOUND.
   */
  async function stored<T>(queue: Queue, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      const key = cacheKey(queue.appId, queue.name);
      cache.delete(key);
      if ((await store.getQueueById(queue.id)) === undefined) throw queueNotFound(queue.name);
      throw error;
    }
  }

  async function redriveTarget(queue: Queue): Promise<{ dlqId: string; dlqRetentionS: number; maxReceiveCount: number } | undefined> {
    const policy = queue.attributes.redrivePolicy;
    const target = policy && parseQueueArn(policy.deadLetterTargetArn);
    if (!policy || !target) return undefined;
    // A DLQ deleted after the policy was set: messages stay in the source queue.
    const dlq = await lookup(queue.appId, target.name);
    return dlq && { dlqId: dlq.id, dlqRetentionS: dlq.attributes.retentionS, maxReceiveCount: policy.maxReceiveCount };
  }

  return service;
}

/** The same queue again with matching attributes, or SQS's QueueNameExists. */
function sameOrRefuse(existing: Queue, given: Partial<QueueAttributes>): Queue {
  for (const [key, value] of Object.entries(given)) {
    if (JSON.stringify(existing.attributes[key as keyof QueueAttributes]) !== JSON.stringify(value)) {
      throw queueInvalid(`A queue already exists with the same name and a different value for attribute ${key}`, 'name-exists');
    }
  }
  return existing;
}

function invalidHandle(handle: string): LaambdaError {
  return queueInvalid(`The input receipt handle "${handle}" is not a valid receipt handle.`, 'receipt-invalid');
}
