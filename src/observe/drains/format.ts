// How a log entry looks on each kind of drain. Pure functions, so each format is tested alone.
import type { DrainEntry, DrainEntryStream } from '../../core/drains.ts';

/** The fields of one JSON line (tcp:// and https:// drains). */
export interface DrainJsonRecord {
  /** RFC 3339 with milliseconds: logstash's json_lines codec takes it as the event time. */
  '@timestamp': string;
  app: string;
  function: string | null;
  release: number | null;
  requestId: string | null;
  stream: DrainEntryStream;
  type: string | null;
  /** The line as the function printed it (logstash's conventional field name). */
  message: string;
  /** The log service's id: ascending in acceptance order, so a receiver can drop duplicates. */
  id: number;
}

/**
 * One JSON object and a newline, as logstash's `tcp` input with `codec => json_lines` reads it.
 * JSON.stringify escapes newlines inside the line, so one entry is always one line.
 */
export function formatJsonLine(entry: DrainEntry, appName: string): string {
  const record: DrainJsonRecord = {
    '@timestamp': new Date(entry.time).toISOString(),
    app: appName,
    function: entry.function,
    release: entry.release,
    requestId: entry.requestId,
    stream: entry.stream,
    type: entry.type,
    message: entry.line,
    id: entry.id,
  };
  return `${JSON.stringify(record)}\n`;
}

// RFC 5424 facilities and severities. Function output is the user's (facility user); the
// platform's own lines (START/END/REPORT, deploys, crashes…) go to local0 so a syslog server
// can route them apart from the function's output.
const FACILITY_USER = 1;
const FACILITY_LOCAL0 = 16;
const SEVERITY_ERR = 3;
const SEVERITY_NOTICE = 5;
const SEVERITY_INFO = 6;

/**
 * The syslog PRI of a stream: stdout user.info (14), stderr user.err (11), platform
 * local0.info (134), event local0.notice (133) (a deploy or a crash is worth noticing).
 */
export function syslogPriority(stream: DrainEntryStream): number {
  switch (stream) {
    case 'stdout':
      return FACILITY_USER * 8 + SEVERITY_INFO;
    case 'stderr':
      return FACILITY_USER * 8 + SEVERITY_ERR;
    case 'platform':
      return FACILITY_LOCAL0 * 8 + SEVERITY_INFO;
    case 'event':
      return FACILITY_LOCAL0 * 8 + SEVERITY_NOTICE;
  }
}

/** Our SD-ID: name@private-enterprise-number (32473 is the number RFC 5612 sets aside for examples). */
export const SYSLOG_SD_ID = 'laambda@32473';
export const SYSLOG_HOSTNAME = 'laambda';

/** An SD-PARAM value with `"`, `\` and `]` escaped as RFC 5424 section 6.3.3 requires. */
export function escapeSdValue(value: string): string {
  return value.replace(/["\\\]]/g, (char) => `\\${char}`);
}

/**
 * A header field: printable US-ASCII without spaces (RFC 5424 PRINTUSASCII), at most `max`
 * characters, "-" when empty. Other characters become "_" so the header always parses.
 */
export function syslogHeaderField(value: string | null, max: number): string {
  if (value === null || value === '') return '-';
  return value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
}

/**
 * One RFC 5424 message (without framing):
 * `<PRI>1 TIMESTAMP laambda APP FUNCTION-or-- STREAM [laambda@32473 release=".." requestId=".."] LINE`.
 * The MSG is the line as printed, UTF-8 without a BOM.
 */
export function formatSyslog(entry: DrainEntry, appName: string): string {
  const header = [
    `<${syslogPriority(entry.stream)}>1`,
    new Date(entry.time).toISOString(),
    SYSLOG_HOSTNAME,
    syslogHeaderField(appName, 48),
    syslogHeaderField(entry.function, 128),
    syslogHeaderField(entry.stream, 32),
  ].join(' ');
  const params: string[] = [];
  if (entry.release !== null) params.push(`release="${escapeSdValue(String(entry.release))}"`);
  if (entry.requestId !== null) params.push(`requestId="${escapeSdValue(entry.requestId)}"`);
  if (entry.type !== null) params.push(`type="${escapeSdValue(entry.type)}"`);
  const data = `[${[SYSLOG_SD_ID, ...params].join(' ')}]`;
  return `${header} ${data} ${entry.line}`;
}

/** RFC 6587 octet-counting framing: the message's length in bytes, a space, the message. */
export function frameOctetCounted(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')} ${message}`;
}

/** A framed RFC 5424 message, ready for a syslog+tcp:// drain. */
export function formatSyslogFrame(entry: DrainEntry, appName: string): string {
  return frameOctetCounted(formatSyslog(entry, appName));
}
