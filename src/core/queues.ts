// The queues and messages model and its storage port (event-sources issue). Queues follow SQS:
// standard queues (at-least-once delivery, visibility timeouts, delays, redrive to a dead-letter
// queue) and FIFO queues (`.fifo` names: ordered message groups, deduplication). Attribute names
// are camelCase here; src/aws/sqs maps them to SQS's names.
import { createHash } from 'node:crypto';
import { LaambdaError } from './errors.ts';

/** Where failed messages go after `maxReceiveCount` receives. */
export interface RedrivePolicy {
  /** `arn:aws:sqs:REGION:ACCOUNT:NAME`; the queue must exist in the same app. */
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

/** The settable attributes of a queue, with SQS's ranges and defaults. */
export interface QueueAttributes {
  /** 0-43200, default 30. */
  visibilityTimeoutS: number;
  /** 0-900, default 0. */
  delayS: number;
  /** 60-1209600, default 345600 (4 days). */
  retentionS: number;
  /** 1024-1048576 bytes, default 1048576. */
  maximumMessageSize: number;
  /** Default long-poll wait of ReceiveMessage, 0-20. */
  receiveWaitS: number;
  redrivePolicy?: RedrivePolicy;
  /** Kept as given (JSON); laambda does not restrict which queues may use a DLQ. */
  redriveAllowPolicy?: string;
  /** True for a FIFO queue (its name ends in `.fifo`); set at creation only. */
  fifoQueue?: boolean;
  /** FIFO only: a message without a deduplication id is deduplicated by the SHA-256 of its body. */
  contentBasedDeduplication?: boolean;
  /** FIFO only: deduplication ids are unique per queue (default) or per message group. */
  deduplicationScope?: 'queue' | 'messageGroup';
  /** FIFO only: accepted and reported; laambda has no throughput quotas. */
  fifoThroughputLimit?: 'perQueue' | 'perMessageGroupId';
}

/** The FIFO attributes a new FIFO queue starts with. */
export const DEFAULT_FIFO_ATTRIBUTES: Readonly<Partial<QueueAttributes>> = Object.freeze({
  fifoQueue: true,
  contentBasedDeduplication: false,
  deduplicationScope: 'queue',
  fifoThroughputLimit: 'perQueue',
});

/** How long SQS remembers a FIFO message's deduplication id: 5 minutes. */
export const DEDUPLICATION_WINDOW_MS = 5 * 60_000;

export const DEFAULT_QUEUE_ATTRIBUTES: Readonly<QueueAttributes> = Object.freeze({
  visibilityTimeoutS: 30,
  delayS: 0,
  retentionS: 345_600,
  maximumMessageSize: 1_048_576,
  receiveWaitS: 0,
});

export interface Queue {
  id: string;
  appId: string;
  name: string;
  attributes: QueueAttributes;
  createdAt: number;
  modifiedAt: number;
}

/** A message attribute as SQS has it: String and Number carry stringValue, Binary binaryValue. */
export interface MessageAttributeValue {
  /** `String`, `Number`, `Binary`, optionally with a custom suffix (`Number.float`). */
  dataType: string;
  stringValue?: string;
  binaryValue?: Buffer;
}

export type MessageAttributes = Record<string, MessageAttributeValue>;

/** A message as stored. */
export interface StoredMessage {
  messageId: string;
  body: string;
  messageAttributes: MessageAttributes;
  md5OfBody: string;
  /** Undefined when the message has no attributes. */
  md5OfMessageAttributes: string | undefined;
  senderId: string;
  sentAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** FIFO queues only. */
  fifo?: FifoMessageFields;
}

/** What a FIFO message carries besides a standard one. */
export interface FifoMessageFields {
  groupId: string;
  deduplicationId: string;
  /** A large, increasing number as a string (SQS's SequenceNumber). */
  sequenceNumber: string;
}

/** A message handed to a consumer, with the receipt handle of this receive. */
export interface ReceivedMessage extends StoredMessage {
  receiptHandle: string;
}

/** A message to insert. */
export interface NewMessage {
  messageId: string;
  body: string;
  messageAttributes: MessageAttributes;
  md5OfBody: string;
  md5OfMessageAttributes: string | undefined;
  senderId: string;
  sentAt: number;
  visibleAt: number;
  expiresAt: number;
}

/** A message to insert into a FIFO queue. */
export interface NewFifoMessage extends NewMessage {
  groupId: string;
  deduplicationId: string;
  /** What duplicates are recognised by: the id, or group and id under DeduplicationScope messageGroup. */
  deduplicationKey: string;
}

/** One FIFO insert: the message stored, or the one a duplicate within the window matched. */
export interface FifoInsertResult {
  messageId: string;
  sequenceNumber: string;
  duplicate: boolean;
}

export interface ReceiveRequest {
  queueId: string;
  now: number;
  max: number;
  visibilityTimeoutS: number;
  /** Shared by the messages of this receive; their receipt handles embed it. */
  receipt: string;
  /**
   * FIFO delivery: messages in sequence order per group, and no message of a group that has a
   * message in flight (or still delayed).
   */
  fifo?: boolean;
  /** When set, a message received more than maxReceiveCount times moves to dlqId instead. */
  redrive?: { dlqId: string; dlqRetentionS: number; maxReceiveCount: number };
}

export interface ReceiveOutcome {
  /** With receiveCount and firstReceivedAt as of this receive. */
  messages: StoredMessage[];
  deadLettered: number;
}

/** A receipt handle taken apart: which message, and which receive of it. */
export interface Receipt {
  messageId: string;
  receipt: string;
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
  /** SentTimestamp of the oldest message, undefined when the queue is empty. */
  oldestSentAt: number | undefined;
}

/** Storage of queues and messages; adapters live in src/storage. */
export interface QueueStore {
  /** Inserts the queue; ERR_QUEUE_INVALID (details.reason 'name-exists') when the name is taken. */
  createQueue(queue: Queue): Promise<void>;
  getQueue(appId: string, name: string): Promise<Queue | undefined>;
  getQueueById(id: string): Promise<Queue | undefined>;
  /** Ordered by name; `after` is exclusive. */
  listQueues(appId: string, options: { prefix?: string; after?: string; limit: number }): Promise<Queue[]>;
  updateAttributes(id: string, attributes: QueueAttributes, now: number): Promise<void>;
  deleteQueue(id: string): Promise<void>;
  /** One transaction for the whole batch. */
  insertMessages(queueId: string, messages: NewMessage[]): Promise<void>;
  /**
   * One transaction for the whole batch, in order: each message gets the queue's next sequence
   * number, unless its deduplication key was seen since `now - windowMs` (then nothing is stored
   * and the original message's id and sequence number come back).
   */
  insertFifoMessages(queueId: string, messages: NewFifoMessage[], now: number, windowMs: number): Promise<FifoInsertResult[]>;
  /** Atomic: picks visible messages, hides them for the timeout, dead-letters, drops expired. */
  receive(request: ReceiveRequest): Promise<ReceiveOutcome>;
  /** Deletes the messages whose current receipt matches; answers how many were deleted. */
  deleteMessages(queueId: string, receipts: Receipt[]): Promise<number>;
  /**
   * Sets when each message becomes visible again. Per entry: 'ok', 'not-found' (gone, or a
   * stale receipt), 'not-inflight' (already visible).
   */
  changeVisibility(
    queueId: string,
    entries: Array<Receipt & { visibleAt: number }>,
    now: number,
  ): Promise<Array<'ok' | 'not-found' | 'not-inflight'>>;
  purge(queueId: string): Promise<number>;
  counts(queueId: string, now: number): Promise<QueueCounts>;
  /** The earliest visible_at after `now`, to time a long poll. */
  nextVisibleAt(queueId: string, now: number): Promise<number | undefined>;
  /** Moves every message of a DLQ back to the queue it came from; answers the queue ids touched. */
  redrive(dlqId: string, now: number): Promise<{ moved: number; queueIds: string[] }>;
  /** Removes messages past their retention, and deduplication ids past their window, in every queue. */
  sweepExpired(now: number): Promise<number>;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;

/** True for a FIFO queue's name (`NAME.fifo`). */
export function isFifoName(name: string): boolean {
  return name.endsWith('.fifo');
}

/**
 * Throws ERR_QUEUE_INVALID unless the name is 1-80 letters, digits, - and _, where a FIFO
 * queue's name ends in `.fifo` (counted in the 80).
 */
export function validateQueueName(name: string): void {
  if (isFifoName(name) ? !FIFO_QUEUE_NAME.test(name) : !QUEUE_NAME.test(name)) {
    throw queueInvalid(
      `Queue name ${JSON.stringify(name)} must be 1-80 letters, digits, - and _ (a FIFO queue's name ends in .fifo)`,
      'name',
    );
  }
}

// SequenceNumber: SQS's are 20-digit numbers; this keeps a per-queue counter's order in that shape.
const SEQUENCE_BASE = 10n ** 19n;

export function formatSequenceNumber(counter: number): string {
  return (SEQUENCE_BASE + BigInt(counter)).toString();
}

type NumericAttribute = 'visibilityTimeoutS' | 'delayS' | 'retentionS' | 'maximumMessageSize' | 'receiveWaitS';

const RANGES: Record<NumericAttribute, [number, number]> = {
  visibilityTimeoutS: [0, 43_200],
  delayS: [0, 900],
  retentionS: [60, 1_209_600],
  maximumMessageSize: [1024, 1_048_576],
  receiveWaitS: [0, 20],
};

/** Defaults filled in and every value range-checked; throws ERR_QUEUE_INVALID. */
export function resolveQueueAttributes(
  given: Partial<QueueAttributes>,
  base: QueueAttributes = DEFAULT_QUEUE_ATTRIBUTES,
): QueueAttributes {
  const attributes: QueueAttributes = { ...base, ...given };
  for (const [key, [min, max]] of Object.entries(RANGES)) {
    const value = attributes[key as keyof typeof RANGES];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw queueInvalid(`${key} must be an integer from ${min} to ${max}, got ${value}`, 'attribute-value', key);
    }
  }
  const policy = attributes.redrivePolicy;
  if (policy !== undefined) {
    if (!Number.isInteger(policy.maxReceiveCount) || policy.maxReceiveCount < 1 || policy.maxReceiveCount > 1000) {
      throw queueInvalid('redrivePolicy.maxReceiveCount must be an integer from 1 to 1000', 'attribute-value', 'redrivePolicy');
    }
    if (parseQueueArn(policy.deadLetterTargetArn) === undefined) {
      throw queueInvalid(
        `redrivePolicy.deadLetterTargetArn must be arn:aws:sqs:REGION:ACCOUNT:NAME, got ${policy.deadLetterTargetArn}`,
        'attribute-value',
        'redrivePolicy',
      );
    }
  }
  checkFifoAttributes(attributes);
  return attributes;
}

const FIFO_ONLY = ['contentBasedDeduplication', 'deduplicationScope', 'fifoThroughputLimit'] as const;
const FIFO_WIRE_NAMES: Record<(typeof FIFO_ONLY)[number], string> = {
  contentBasedDeduplication: 'ContentBasedDeduplication',
  deduplicationScope: 'DeduplicationScope',
  fifoThroughputLimit: 'FifoThroughputLimit',
};

function checkFifoAttributes(attributes: QueueAttributes): void {
  if (attributes.fifoQueue !== true) {
    for (const key of FIFO_ONLY) {
      // SQS does not know these attributes on a standard queue.
      if (attributes[key] !== undefined) throw queueInvalid(`Unknown Attribute ${FIFO_WIRE_NAMES[key]}.`, 'attribute-name', key);
    }
    return;
  }
  const { deduplicationScope: scope, fifoThroughputLimit: limit } = attributes;
  if (scope !== undefined && scope !== 'queue' && scope !== 'messageGroup') {
    throw queueInvalid(`Invalid value for the parameter DeduplicationScope: ${String(scope)}.`, 'attribute-value', 'deduplicationScope');
  }
  if (limit !== undefined && limit !== 'perQueue' && limit !== 'perMessageGroupId') {
    throw queueInvalid(`Invalid value for the parameter FifoThroughputLimit: ${String(limit)}.`, 'attribute-value', 'fifoThroughputLimit');
  }
  if (limit === 'perMessageGroupId' && scope !== 'messageGroup') {
    throw queueInvalid(
      'FifoThroughputLimit perMessageGroupId requires DeduplicationScope messageGroup.',
      'attribute-value',
      'fifoThroughputLimit',
    );
  }
}

/** The parts of `arn:aws:sqs:REGION:ACCOUNT:NAME`, or undefined. */
export function parseQueueArn(arn: string): { region: string; accountId: string; name: string } | undefined {
  const match = /^arn:aws:sqs:([^:]*):([^:]*):([A-Za-z0-9_.-]{1,80})$/.exec(arn);
  return match ? { region: match[1]!, accountId: match[2]!, name: match[3]! } : undefined;
}

export function queueArn(region: string, accountId: string, name: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${name}`;
}

/** Why a queue operation was refused, for the SQS endpoint to name the AWS error. */
export type QueueErrorReason =
  | 'name'
  | 'name-exists'
  | 'unsupported'
  | 'attribute-value'
  | 'message-contents'
  | 'message-too-large'
  | 'batch-too-long'
  | 'receipt-invalid'
  | 'not-inflight'
  | 'parameter'
  | 'missing-parameter'
  | 'attribute-name';

export function queueInvalid(message: string, reason: QueueErrorReason, attribute?: string): LaambdaError {
  return new LaambdaError('ERR_QUEUE_INVALID', message, { details: { reason, ...(attribute ? { attribute } : {}) } });
}

export function queueNotFound(name: string): LaambdaError {
  return new LaambdaError('ERR_QUEUE_NOT_FOUND', `Queue ${name} does not exist`, { details: { queue: name } });
}

/** The reason a LaambdaError carries, when it is a queue error. */
export function queueErrorReason(error: unknown): QueueErrorReason | undefined {
  if (!(error instanceof LaambdaError) || error.code !== 'ERR_QUEUE_INVALID') return undefined;
  return error.details?.reason as QueueErrorReason | undefined;
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * MD5OfMessageAttributes as SQS computes it: attributes sorted by name, each as length-prefixed
 * (4-byte big-endian) name, data type, then a transport byte (1 string, 2 binary) and the
 * length-prefixed value. Undefined for no attributes.
 */
export function md5OfMessageAttributes(attributes: MessageAttributes): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  const prefixed = (bytes: Buffer): void => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of names) {
    const value = attributes[name]!;
    prefixed(Buffer.from(name, 'utf8'));
    prefixed(Buffer.from(value.dataType, 'utf8'));
    if (value.binaryValue !== undefined) {
      hash.update(Buffer.of(2));
      prefixed(value.binaryValue);
    } else {
      hash.update(Buffer.of(1));
      prefixed(Buffer.from(value.stringValue ?? '', 'utf8'));
    }
  }
  return hash.digest('hex');
}

/** Bytes SQS counts against MaximumMessageSize: the body and every attribute's name, type, value. */
export function messageSize(body: string, attributes: MessageAttributes): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.dataType);
    size += value.binaryValue?.length ?? Buffer.byteLength(value.stringValue ?? '');
  }
  return size;
}

// XML 1.0 characters, the set SQS accepts in a body: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000+.
// eslint-disable-next-line no-control-regex
const INVALID_BODY_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function hasInvalidCharacters(text: string): boolean {
  return INVALID_BODY_CHARACTER.test(text);
}

const RECEIPT_PREFIX = 'lq1.';

/** The opaque handle a consumer gets: the message id and this receive's token. */
export function encodeReceiptHandle(receipt: Receipt): string {
  return RECEIPT_PREFIX + Buffer.from(`${receipt.messageId}:${receipt.receipt}`, 'utf8').toString('base64url');
}

/** Undefined for a handle laambda did not make (SQS's ReceiptHandleIsInvalid). */
export function decodeReceiptHandle(handle: string): Receipt | undefined {
  if (!handle.startsWith(RECEIPT_PREFIX)) return undefined;
  const text = Buffer.from(handle.slice(RECEIPT_PREFIX.length), 'base64url').toString('utf8');
  const match = /^([0-9a-f-]{36}):([0-9a-f]{16,64})$/.exec(text);
  return match ? { messageId: match[1]!, receipt: match[2]! } : undefined;
}
