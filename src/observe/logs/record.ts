// Function output arrives from the runtime engine as LogRecords named by Lambda function; the
// caller knows which app, Procfile function and release that name stands for.
import type { NewLogEntry } from '../../core/logs.ts';
import type { LogRecord } from '../../runtime/index.ts';

/** Where a LogRecord belongs, as the integrator resolved it from the record's functionName. */
export interface LogRecordOrigin {
  appId: string;
  /** The Procfile name (not the Lambda name APP-FN). */
  function: string | null;
  release: number | null;
}

/** The log entry of one engine LogRecord. */
export function entryFromRecord(record: LogRecord, origin: LogRecordOrigin): NewLogEntry {
  return {
    appId: origin.appId,
    function: origin.function,
    release: origin.release,
    requestId: record.requestId ?? null,
    stream: record.stream,
    time: record.time,
    line: record.line,
  };
}
