// Durable queues: the service the SQS endpoint and the CLI call, and queue → function mappings.
export {
  createQueueService,
  type EntryResult,
  type QueueInfo,
  type QueueService,
  type QueueServiceOptions,
  type QueueStats,
  type ReceiveOptions,
  type SendEntry,
  type SentMessage,
} from './service.ts';
export {
  createQueueMappings,
  validateMapping,
  type QueueMappingInvoke,
  type QueueMappings,
  type QueueMappingsOptions,
  type QueueMappingSpec,
  type QueueMappingStatus,
} from './mapping.ts';
export { buildSqsEvent, type SqsEvent, type SqsRecord } from './payload.ts';
