// The invocation record Lambda sends to an async destination (AWS casing, as on the wire):
// {version: '1.0', timestamp, requestContext: {requestId, functionArn, condition,
// approximateInvokeCount}, requestPayload, responseContext, responsePayload}.

export type InvocationCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

export interface InvocationRecord {
  version: '1.0';
  /** ISO 8601 with milliseconds. */
  timestamp: string;
  requestContext: {
    requestId: string;
    /** Qualified: `arn:aws:lambda:REGION:ACCOUNT:function:NAME:$LATEST`. */
    functionArn: string;
    condition: InvocationCondition;
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  /** Absent when the event expired before any attempt answered. */
  responseContext?: {
    statusCode: 200;
    executedVersion: string;
    functionError?: 'Unhandled';
  };
  responsePayload?: unknown;
}

export interface InvocationRecordInput {
  requestId: string;
  functionArn: string;
  condition: InvocationCondition;
  invokeCount: number;
  requestPayload: Buffer;
  at: number;
  /** The last attempt's answer, when there was one. */
  response?: { failed: boolean; payload: Buffer; executedVersion: string };
}

/** JSON payloads as values; anything else as text; nothing as null. */
export function payloadValue(payload: Buffer): unknown {
  if (payload.length === 0) return null;
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function invocationRecord(input: InvocationRecordInput): InvocationRecord {
  const record: InvocationRecord = {
    version: '1.0',
    timestamp: new Date(input.at).toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.invokeCount,
    },
    requestPayload: payloadValue(input.requestPayload),
  };
  if (input.response !== undefined) {
    record.responseContext = {
      statusCode: 200,
      executedVersion: input.response.executedVersion,
      ...(input.response.failed ? { functionError: 'Unhandled' as const } : {}),
    };
    record.responsePayload = payloadValue(input.response.payload);
  }
  return record;
}
