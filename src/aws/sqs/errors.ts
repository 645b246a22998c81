// SQS errors on the JSON wire. The SDK (awsQueryCompatible) reads the x-amzn-query-error code
// first and maps it back to its exception class (e.g. AWS.SimpleQueueService.NonExistentQueue →
// QueueDoesNotExist); `__type` is what other JSON clients read.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LaambdaError } from '../../core/errors.ts';
import { queueErrorReason, type QueueErrorReason } from '../../core/queues.ts';
import type { SigV4ErrorCode } from '../sigv4/index.ts';

interface ErrorShape {
  status: number;
  /** The code of SQS's query protocol, sent in x-amzn-query-error. */
  queryCode: string;
}

const ERRORS = {
  QueueDoesNotExist: { status: 400, queryCode: 'AWS.SimpleQueueService.NonExistentQueue' },
  InvalidAddress: { status: 404, queryCode: 'InvalidAddress' },
  ReceiptHandleIsInvalid: { status: 404, queryCode: 'ReceiptHandleIsInvalid' },
  TooManyEntriesInBatchRequest: { status: 400, queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest' },
  BatchEntryIdsNotDistinct: { status: 400, queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct' },
  EmptyBatchRequest: { status: 400, queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest' },
  InvalidBatchEntryId: { status: 400, queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId' },
  BatchRequestTooLong: { status: 400, queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong' },
  MessageNotInflight: { status: 400, queryCode: 'AWS.SimpleQueueService.MessageNotInflight' },
  UnsupportedOperation: { status: 400, queryCode: 'AWS.SimpleQueueService.UnsupportedOperation' },
  QueueNameExists: { status: 400, queryCode: 'QueueAlreadyExists' },
  InvalidAttributeName: { status: 400, queryCode: 'InvalidAttributeName' },
  InvalidAttributeValue: { status: 400, queryCode: 'InvalidAttributeValue' },
  InvalidMessageContents: { status: 400, queryCode: 'InvalidMessageContents' },
  InvalidParameterValue: { status: 400, queryCode: 'InvalidParameterValue' },
  MissingParameter: { status: 400, queryCode: 'MissingParameter' },
  InvalidAction: { status: 400, queryCode: 'InvalidAction' },
  SerializationException: { status: 400, queryCode: 'SerializationException' },
  InvalidClientTokenId: { status: 403, queryCode: 'InvalidClientTokenId' },
  SignatureDoesNotMatch: { status: 403, queryCode: 'SignatureDoesNotMatch' },
  MissingAuthenticationToken: { status: 403, queryCode: 'MissingAuthenticationToken' },
  IncompleteSignature: { status: 400, queryCode: 'IncompleteSignature' },
  AccessDenied: { status: 403, queryCode: 'AccessDenied' },
  InternalError: { status: 500, queryCode: 'InternalError' },
} satisfies Record<string, ErrorShape>;

export type SqsErrorName = keyof typeof ERRORS;

/** An error to answer with SQS's name for it. */
export class SqsError extends Error {
  readonly sqsName: SqsErrorName;

  constructor(name: SqsErrorName, message: string) {
    super(message);
    this.name = 'SqsError';
    this.sqsName = name;
  }
}

const REASONS: Record<QueueErrorReason, SqsErrorName> = {
  name: 'InvalidParameterValue',
  'name-exists': 'QueueNameExists',
  unsupported: 'UnsupportedOperation',
  'attribute-value': 'InvalidAttributeValue',
  'message-contents': 'InvalidMessageContents',
  'message-too-large': 'InvalidParameterValue',
  'batch-too-long': 'BatchRequestTooLong',
  'receipt-invalid': 'ReceiptHandleIsInvalid',
  'not-inflight': 'MessageNotInflight',
  parameter: 'InvalidParameterValue',
  'missing-parameter': 'MissingParameter',
  'attribute-name': 'InvalidAttributeName',
};

/** SQS's name and message for any error a handler ran into; undefined for a platform fault. */
export function sqsErrorOf(error: unknown): SqsError | undefined {
  if (error instanceof SqsError) return error;
  if (error instanceof LaambdaError && error.code === 'ERR_QUEUE_NOT_FOUND') {
    return new SqsError('QueueDoesNotExist', 'The specified queue does not exist.');
  }
  const reason = queueErrorReason(error);
  if (reason !== undefined) return new SqsError(REASONS[reason], (error as Error).message);
  return undefined;
}

/** The code SQS puts in a batch result entry's `Code`. */
export function batchEntryCode(error: LaambdaError): string {
  return sqsErrorOf(error)?.sqsName ?? 'InternalError';
}

const SIGV4_NAMES: Record<SigV4ErrorCode, SqsErrorName> = {
  MissingAuthenticationToken: 'MissingAuthenticationToken',
  IncompleteSignature: 'IncompleteSignature',
  UnrecognizedClientException: 'InvalidClientTokenId',
  InvalidSignatureException: 'SignatureDoesNotMatch',
  AccessDenied: 'AccessDenied',
  XAmzContentSHA256Mismatch: 'SignatureDoesNotMatch',
};

export function sigV4Error(code: SigV4ErrorCode, message: string): SqsError {
  return new SqsError(SIGV4_NAMES[code], message);
}

export function sendSqsError(res: ServerResponse, error: SqsError, requestId: string = randomUUID()): void {
  const shape: ErrorShape = ERRORS[error.sqsName];
  const body = JSON.stringify({ __type: `com.amazonaws.sqs#${error.sqsName}`, message: error.message });
  res.writeHead(shape.status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    'x-amzn-query-error': `${shape.queryCode};${shape.status >= 500 ? 'Receiver' : 'Sender'}`,
  });
  res.end(body);
}

export function sendSqsResult(res: ServerResponse, result: unknown, requestId: string): void {
  const body = JSON.stringify(result ?? {});
  res.writeHead(200, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}
