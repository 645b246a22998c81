// The SQS API of laambda's AWS endpoint (JSON protocol, as current AWS SDKs speak it).
export { createSqsHandler, type SqsHandler, type SqsHandlerOptions } from './handler.ts';
export { SqsError, type SqsErrorName } from './errors.ts';
