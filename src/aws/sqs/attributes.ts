// SQS's attribute names and string values ↔ laambda's queue and message model.
import type { MessageAttributes, QueueAttributes, RedrivePolicy, ReceivedMessage } from '../../core/queues.ts';
import { md5OfMessageAttributes } from '../../core/queues.ts';
import type { QueueInfo } from '../../events/queue/index.ts';
import { SqsError } from './errors.ts';

type NumericKey = 'visibilityTimeoutS' | 'delayS' | 'retentionS' | 'maximumMessageSize' | 'receiveWaitS';

const NUMERIC: Record<string, NumericKey> = {
  VisibilityTimeout: 'visibilityTimeoutS',
  DelaySeconds: 'delayS',
  MessageRetentionPeriod: 'retentionS',
  MaximumMessageSize: 'maximumMessageSize',
  ReceiveMessageWaitTimeSeconds: 'receiveWaitS',
};

// Accepted so infrastructure code that sets them keeps working; laambda has no IAM or KMS.
const IGNORED = new Set(['Policy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled']);

const READ_ONLY = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];

const FIFO_NAMES = ['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'];

const READABLE = new Set([...Object.keys(NUMERIC), 'RedrivePolicy', 'RedriveAllowPolicy', 'SqsManagedSseEnabled', ...FIFO_NAMES, ...READ_ONLY]);

/** CreateQueue / SetQueueAttributes input → the attributes to apply. */
export function parseQueueAttributes(wire: unknown): Partial<QueueAttributes> {
  if (wire === undefined || wire === null) return {};
  if (typeof wire !== 'object') throw new SqsError('InvalidParameterValue', 'Attributes must be a map of strings');
  const attributes: Partial<QueueAttributes> = {};
  for (const [name, raw] of Object.entries(wire as Record<string, unknown>)) {
    const value = String(raw);
    const key = NUMERIC[name];
    if (key !== undefined) {
      if (!/^\d+$/.test(value)) throw invalidValue(name, value);
      attributes[key] = Number(value);
    } else if (name === 'RedrivePolicy') {
      if (value === '') attributes.redrivePolicy = undefined;
      else attributes.redrivePolicy = parseRedrivePolicy(value);
    } else if (name === 'RedriveAllowPolicy') {
      attributes.redriveAllowPolicy = value === '' ? undefined : value;
    } else if (name === 'FifoQueue') {
      attributes.fifoQueue = parseBoolean(name, value);
    } else if (name === 'ContentBasedDeduplication') {
      attributes.contentBasedDeduplication = parseBoolean(name, value);
    } else if (name === 'DeduplicationScope') {
      // The service checks the value; this only carries it.
      attributes.deduplicationScope = value as QueueAttributes['deduplicationScope'];
    } else if (name === 'FifoThroughputLimit') {
      attributes.fifoThroughputLimit = value as QueueAttributes['fifoThroughputLimit'];
    } else if (!IGNORED.has(name)) {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  return attributes;
}

function parseBoolean(name: string, value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalidValue(name, value);
}

function parseRedrivePolicy(value: string): RedrivePolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidValue('RedrivePolicy', value);
  }
  const policy = parsed as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  const count = Number(policy.maxReceiveCount);
  if (typeof policy.deadLetterTargetArn !== 'string' || !Number.isInteger(count)) throw invalidValue('RedrivePolicy', value);
  return { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount: count };
}

function invalidValue(name: string, value: string): SqsError {
  return new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}: ${value}.`);
}

/** GetQueueAttributes output for the names asked (`All` for every one). */
export function formatQueueAttributes(info: QueueInfo, names: unknown): Record<string, string> {
  const asked = Array.isArray(names) ? names.map(String) : [];
  for (const name of asked) {
    if (name !== 'All' && !READABLE.has(name) && !IGNORED.has(name)) {
      throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
  }
  const all = asked.includes('All');
  const { attributes, createdAt, modifiedAt } = info.queue;
  const values: Record<string, string> = {
    VisibilityTimeout: String(attributes.visibilityTimeoutS),
    DelaySeconds: String(attributes.delayS),
    MessageRetentionPeriod: String(attributes.retentionS),
    MaximumMessageSize: String(attributes.maximumMessageSize),
    ReceiveMessageWaitTimeSeconds: String(attributes.receiveWaitS),
    ApproximateNumberOfMessages: String(info.counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(info.counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(info.counts.delayed),
    CreatedTimestamp: String(Math.floor(createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(modifiedAt / 1000)),
    QueueArn: info.arn,
    SqsManagedSseEnabled: 'false',
  };
  if (attributes.redrivePolicy) values.RedrivePolicy = JSON.stringify(attributes.redrivePolicy);
  if (attributes.redriveAllowPolicy) values.RedriveAllowPolicy = attributes.redriveAllowPolicy;
  if (attributes.fifoQueue === true) {
    values.FifoQueue = 'true';
    values.ContentBasedDeduplication = String(attributes.contentBasedDeduplication === true);
    values.DeduplicationScope = attributes.deduplicationScope ?? 'queue';
    values.FifoThroughputLimit = attributes.fifoThroughputLimit ?? 'perQueue';
  }
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (all || asked.includes(name)) result[name] = value;
  }
  return result;
}

interface WireMessageAttribute {
  DataType?: unknown;
  StringValue?: unknown;
  BinaryValue?: unknown;
  StringListValues?: unknown;
  BinaryListValues?: unknown;
}

/** SendMessage's MessageAttributes (BinaryValue in base64) → the model. */
export function parseMessageAttributes(wire: unknown): MessageAttributes {
  if (wire === undefined || wire === null) return {};
  if (typeof wire !== 'object') throw new SqsError('InvalidParameterValue', 'MessageAttributes must be a map');
  const attributes: MessageAttributes = {};
  for (const [name, raw] of Object.entries(wire as Record<string, WireMessageAttribute>)) {
    if (typeof raw?.DataType !== 'string') {
      throw new SqsError('InvalidParameterValue', `The message attribute '${name}' must contain a non-empty message attribute type.`);
    }
    if (raw.StringListValues !== undefined || raw.BinaryListValues !== undefined) {
      throw new SqsError('InvalidParameterValue', `Message attribute list values in '${name}' are not supported.`);
    }
    attributes[name] =
      typeof raw.BinaryValue === 'string'
        ? { dataType: raw.DataType, binaryValue: Buffer.from(raw.BinaryValue, 'base64') }
        : { dataType: raw.DataType, ...(typeof raw.StringValue === 'string' ? { stringValue: raw.StringValue } : {}) };
  }
  return attributes;
}

const SYSTEM_ATTRIBUTES = ['SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'];
const FIFO_SYSTEM_ATTRIBUTES = ['MessageGroupId', 'MessageDeduplicationId', 'SequenceNumber'];

/** One message of a ReceiveMessage answer, with the system and user attributes asked for. */
export function formatMessage(message: ReceivedMessage, systemNames: string[], attributeNames: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
  };
  const allSystem = systemNames.includes('All');
  const system: Record<string, string> = {
    SenderId: message.senderId,
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
  };
  if (message.fifo !== undefined) {
    system.MessageGroupId = message.fifo.groupId;
    system.MessageDeduplicationId = message.fifo.deduplicationId;
    system.SequenceNumber = message.fifo.sequenceNumber;
  }
  const attributes: Record<string, string> = {};
  for (const name of [...SYSTEM_ATTRIBUTES, ...FIFO_SYSTEM_ATTRIBUTES]) {
    if (system[name] !== undefined && (allSystem || systemNames.includes(name))) attributes[name] = system[name];
  }
  if (Object.keys(attributes).length > 0) out.Attributes = attributes;

  const selected = selectMessageAttributes(message.messageAttributes, attributeNames);
  const md5 = md5OfMessageAttributes(selected);
  if (md5 !== undefined) {
    out.MD5OfMessageAttributes = md5;
    const wire: Record<string, Record<string, string>> = {};
    for (const [name, value] of Object.entries(selected)) {
      wire[name] =
        value.binaryValue !== undefined
          ? { DataType: value.dataType, BinaryValue: value.binaryValue.toString('base64') }
          : { DataType: value.dataType, StringValue: value.stringValue ?? '' };
    }
    out.MessageAttributes = wire;
  }
  return out;
}

/** The attributes named: exact names, `All`, `.*`, or prefixes as `prefix.*`. */
export function selectMessageAttributes(attributes: MessageAttributes, names: string[]): MessageAttributes {
  if (names.includes('All') || names.includes('.*')) return attributes;
  const selected: MessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    const match = names.some((asked) => (asked.endsWith('.*') ? name.startsWith(asked.slice(0, -1)) : asked === name));
    if (match) selected[name] = value;
  }
  return selected;
}
