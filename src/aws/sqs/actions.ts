// The SQS actions: JSON input (AWS casing) → service call → JSON output.
import type { QueueService } from '../../events/queue/index.ts';
import { formatMessage, formatQueueAttributes, parseMessageAttributes, parseQueueAttributes } from './attributes.ts';
import { batchEntryCode, SqsError } from './errors.ts';

export interface ActionContext {
  service: QueueService;
  appId: string;
  /** The access key that signed the request: the messages' SenderId. */
  senderId: string;
  queueUrl(name: string): string;
  /** Aborts when the client goes away (ends a long poll). */
  signal: AbortSignal;
}

type Input = Record<string, unknown>;
type Action = (context: ActionContext, input: Input) => Promise<unknown>;

const MAX_BATCH = 10;
const MAX_BATCH_BYTES = 1_048_576;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

function required(input: Input, name: string): unknown {
  const value = input[name];
  if (value === undefined || value === null || value === '') {
    throw new SqsError('MissingParameter', `The request must contain the parameter ${name}.`);
  }
  return value;
}

function stringParam(input: Input, name: string): string {
  const value = required(input, name);
  if (typeof value !== 'string') throw new SqsError('InvalidParameterValue', `Value for parameter ${name} must be a string.`);
  return value;
}

function intParam(input: Input, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw new SqsError('InvalidParameterValue', `Value ${String(value)} for parameter ${name} is invalid.`);
  return number;
}

/** The queue name a QueueUrl points at: its last path segment, whatever the host. */
export function queueNameOf(input: Input): string {
  const url = stringParam(input, 'QueueUrl');
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    // Some clients pass a bare path or even the name.
    path = url;
  }
  const name = decodeURIComponent(path.split('/').filter(Boolean).at(-1) ?? '');
  if (name === '') throw new SqsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`);
  return name;
}

/** Entries of a batch action, checked as SQS checks them before touching any message. */
function batchEntries(input: Input, action: string): Input[] {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new SqsError('EmptyBatchRequest', `There should be at least one ${action}Entry in the request.`);
  }
  if (entries.length > MAX_BATCH) {
    throw new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH}. You have sent ${entries.length}.`);
  }
  const ids = new Set<string>();
  for (const entry of entries as Input[]) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !ENTRY_ID.test(id)) {
      throw new SqsError('InvalidBatchEntryId', `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.`);
    }
    if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
  }
  return entries as Input[];
}

function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SqsError('InvalidParameterValue', `Value for parameter ${name} must be a string.`);
  return value;
}

/** SendMessage's (or a batch entry's) fields besides the body and attributes. */
function sendOptions(input: Input): { delayS?: number; groupId?: string; deduplicationId?: string } {
  const delayS = intParam(input, 'DelaySeconds');
  const groupId = optionalString(input, 'MessageGroupId');
  const deduplicationId = optionalString(input, 'MessageDeduplicationId');
  return {
    ...(delayS !== undefined ? { delayS } : {}),
    ...(groupId !== undefined ? { groupId } : {}),
    ...(deduplicationId !== undefined ? { deduplicationId } : {}),
  };
}

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

export const ACTIONS: Record<string, Action> = {
  async CreateQueue({ service, appId, queueUrl }, input) {
    const name = stringParam(input, 'QueueName');
    await service.createQueue(appId, name, parseQueueAttributes(input.Attributes));
    return { QueueUrl: queueUrl(name) };
  },

  async GetQueueUrl({ service, appId, queueUrl }, input) {
    const name = stringParam(input, 'QueueName');
    await service.getQueue(appId, name);
    return { QueueUrl: queueUrl(name) };
  },

  async ListQueues({ service, appId, queueUrl }, input) {
    const max = intParam(input, 'MaxResults');
    if (max !== undefined && (max < 1 || max > 1000)) {
      throw new SqsError('InvalidParameterValue', 'Value for parameter MaxResults is invalid. Reason: must be between 1 and 1000.');
    }
    const prefix = typeof input.QueueNamePrefix === 'string' ? input.QueueNamePrefix : undefined;
    const nextToken = typeof input.NextToken === 'string' ? input.NextToken : undefined;
    const page = await service.listQueues(appId, {
      ...(prefix ? { prefix } : {}),
      ...(max !== undefined ? { max } : {}),
      ...(nextToken ? { nextToken } : {}),
    });
    // SQS pages only when MaxResults is given.
    return {
      QueueUrls: page.queues.map((queue) => queueUrl(queue.name)),
      ...(max !== undefined && page.nextToken ? { NextToken: page.nextToken } : {}),
    };
  },

  async DeleteQueue({ service, appId }, input) {
    await service.deleteQueue(appId, queueNameOf(input));
    return {};
  },

  async GetQueueAttributes({ service, appId }, input) {
    const info = await service.getAttributes(appId, queueNameOf(input));
    return { Attributes: formatQueueAttributes(info, input.AttributeNames) };
  },

  async SetQueueAttributes({ service, appId }, input) {
    const name = queueNameOf(input);
    const attributes = required(input, 'Attributes');
    await service.setAttributes(appId, name, parseQueueAttributes(attributes));
    return {};
  },

  async SendMessage({ service, appId, senderId }, input) {
    const name = queueNameOf(input);
    const body = stringParam(input, 'MessageBody');
    const [result] = await service.send(
      appId,
      name,
      [{ body, messageAttributes: parseMessageAttributes(input.MessageAttributes), ...sendOptions(input) }],
      { senderId },
    );
    if (!result!.ok) throw result!.error;
    return {
      MessageId: result!.messageId,
      MD5OfMessageBody: result!.md5OfBody,
      ...(result!.md5OfMessageAttributes ? { MD5OfMessageAttributes: result!.md5OfMessageAttributes } : {}),
      ...(result!.sequenceNumber ? { SequenceNumber: result!.sequenceNumber } : {}),
    };
  },

  async SendMessageBatch({ service, appId, senderId }, input) {
    const name = queueNameOf(input);
    const entries = batchEntries(input, 'SendMessageBatchRequest');
    const total = entries.reduce((sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? '')), 0);
    if (total > MAX_BATCH_BYTES) {
      throw new SqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_BATCH_BYTES} bytes. You have sent ${total} bytes.`);
    }
    const sends = entries.map((entry) => ({
      body: typeof entry.MessageBody === 'string' ? entry.MessageBody : '',
      messageAttributes: parseMessageAttributes(entry.MessageAttributes),
      ...sendOptions(entry),
    }));
    const results = await service.send(appId, name, sends, { senderId });
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    results.forEach((result, index) => {
      const Id = entries[index]!.Id;
      if (result.ok) {
        Successful.push({
          Id,
          MessageId: result.messageId,
          MD5OfMessageBody: result.md5OfBody,
          ...(result.md5OfMessageAttributes ? { MD5OfMessageAttributes: result.md5OfMessageAttributes } : {}),
          ...(result.sequenceNumber ? { SequenceNumber: result.sequenceNumber } : {}),
        });
      } else Failed.push({ Id, SenderFault: true, Code: batchEntryCode(result.error), Message: result.error.message });
    });
    return { Successful, Failed };
  },

  // ReceiveRequestAttemptId (FIFO retries of a lost answer) is accepted and ignored: a retry gets
  // the next messages, and the lost ones come back after their visibility timeout.
  async ReceiveMessage({ service, appId, signal }, input) {
    const name = queueNameOf(input);
    const max = intParam(input, 'MaxNumberOfMessages') ?? 1;
    if (max < 1 || max > 10) {
      throw new SqsError('InvalidParameterValue', `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    }
    const visibilityTimeoutS = intParam(input, 'VisibilityTimeout');
    const waitS = intParam(input, 'WaitTimeSeconds');
    const messages = await service.receive(
      appId,
      name,
      { max, ...(visibilityTimeoutS !== undefined ? { visibilityTimeoutS } : {}), ...(waitS !== undefined ? { waitS } : {}) },
      signal,
    );
    const system = [...names(input.AttributeNames), ...names(input.MessageSystemAttributeNames)];
    const user = names(input.MessageAttributeNames);
    return { Messages: messages.map((message) => formatMessage(message, system, user)) };
  },

  async DeleteMessage({ service, appId }, input) {
    const name = queueNameOf(input);
    const [result] = await service.deleteMessages(appId, name, [stringParam(input, 'ReceiptHandle')]);
    if (!result!.ok) throw result!.error;
    return {};
  },

  async DeleteMessageBatch({ service, appId }, input) {
    const name = queueNameOf(input);
    const entries = batchEntries(input, 'DeleteMessageBatchRequest');
    const results = await service.deleteMessages(appId, name, entries.map((entry) => String(entry.ReceiptHandle ?? '')));
    return batchOutcome(entries, results);
  },

  async ChangeMessageVisibility({ service, appId }, input) {
    const name = queueNameOf(input);
    const visibilityTimeoutS = intParam(input, 'VisibilityTimeout');
    if (visibilityTimeoutS === undefined) throw new SqsError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
    const [result] = await service.changeVisibility(appId, name, [{ receiptHandle: stringParam(input, 'ReceiptHandle'), visibilityTimeoutS }]);
    if (!result!.ok) throw result!.error;
    return {};
  },

  async ChangeMessageVisibilityBatch({ service, appId }, input) {
    const name = queueNameOf(input);
    const entries = batchEntries(input, 'ChangeMessageVisibilityBatchRequest');
    const results = await service.changeVisibility(
      appId,
      name,
      entries.map((entry) => ({ receiptHandle: String(entry.ReceiptHandle ?? ''), visibilityTimeoutS: Number(entry.VisibilityTimeout ?? 0) })),
    );
    return batchOutcome(entries, results);
  },

  async PurgeQueue({ service, appId }, input) {
    await service.purge(appId, queueNameOf(input));
    return {};
  },

  async ListDeadLetterSourceQueues({ service, appId, queueUrl }, input) {
    const sources = await service.deadLetterSources(appId, queueNameOf(input));
    return { queueUrls: sources.map(queueUrl) };
  },
};

function batchOutcome(entries: Input[], results: Awaited<ReturnType<QueueService['deleteMessages']>>): unknown {
  const Successful: unknown[] = [];
  const Failed: unknown[] = [];
  results.forEach((result, index) => {
    const Id = entries[index]!.Id;
    if (result.ok) Successful.push({ Id });
    else Failed.push({ Id, SenderFault: true, Code: batchEntryCode(result.error), Message: result.error.message });
  });
  return { Successful, Failed };
}
