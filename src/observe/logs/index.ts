// Stored logs and live tail: the log service, --since parsing, engine record conversion.
export {
  createLogService,
  DEFAULT_LOG_RETENTION,
  type LogEventFields,
  type LogRetention,
  type LogService,
  type LogServiceOptions,
  type LogStats,
  type SweepResult,
} from './service.ts';
export { parseSince } from './since.ts';
export { entryFromRecord, type LogRecordOrigin } from './record.ts';
export type { LogEntry, LogEntryStream, LogFilter, LogStore, NewLogEntry } from '../../core/logs.ts';
