import type { Readable } from 'node:stream';

export type LogStream = 'stdout' | 'stderr' | 'platform';

/** One whole line of function or platform output, tagged. */
export interface LogRecord {
  time: number;
  functionName: string;
  version: string;
  /** The invocation the line belongs to; undefined during init or between invocations. */
  requestId: string | undefined;
  stream: LogStream;
  line: string;
}

export type LogSink = (record: LogRecord) => void;

/** Longest line kept whole; longer ones are cut with a marker, as CloudWatch caps events at 256 KB. */
export const MAX_LINE_BYTES = 256 * 1024;

/**
 * Splits a child's output stream into whole lines. A partial line waits for its end; a line
 * longer than MAX_LINE_BYTES is cut and the rest of it dropped, so a function printing a
 * gigabyte without newlines costs the platform bounded memory.
 */
export function captureLines(stream: Readable, onLine: (line: string) => void): { flush(): void } {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let dropped = 0;

  const emit = (): void => {
    let line = Buffer.concat(pending).toString('utf8');
    if (dropped > 0) line += ` …[${dropped} bytes cut]`;
    pending = [];
    pendingBytes = 0;
    dropped = 0;
    onLine(line);
  };

  const keep = (chunk: Buffer): void => {
    const room = MAX_LINE_BYTES - pendingBytes;
    if (chunk.length <= room) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    } else {
      if (room > 0) pending.push(chunk.subarray(0, room));
      pendingBytes += Math.max(room, 0);
      dropped += chunk.length - Math.max(room, 0);
    }
  };

  stream.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      keep(chunk.subarray(start, nl));
      emit();
      start = nl + 1;
    }
    if (start < chunk.length) keep(chunk.subarray(start));
  });

  return {
    flush(): void {
      if (pendingBytes > 0 || dropped > 0) emit();
    },
  };
}

/** Keeps the last `limit` bytes of an invocation's log, for the Invoke API's `Tail`. */
export class LogTail {
  readonly #limit: number;
  #lines: string[] = [];
  #bytes = 0;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  push(line: string): void {
    const text = `${line}\n`;
    this.#lines.push(text);
    this.#bytes += Buffer.byteLength(text);
    while (this.#bytes > this.#limit && this.#lines.length > 1) {
      this.#bytes -= Buffer.byteLength(this.#lines.shift() ?? '');
    }
  }

  /** The tail as text, cut to the limit from the front. */
  text(): string {
    const all = Buffer.from(this.#lines.join(''));
    return all.length > this.#limit ? all.subarray(all.length - this.#limit).toString('utf8') : all.toString('utf8');
  }
}

export interface ReportFields {
  requestId: string;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMB: number;
  maxMemoryUsedMB: number;
  initDurationMs: number | undefined;
  status?: 'timeout' | 'error';
  errorType?: string;
}

/** Lambda's REPORT line, tab-separated as CloudWatch shows it. */
export function formatReport(fields: ReportFields): string {
  const parts = [
    `REPORT RequestId: ${fields.requestId}`,
    `Duration: ${fields.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${fields.billedDurationMs} ms`,
    `Memory Size: ${fields.memorySizeMB} MB`,
    `Max Memory Used: ${fields.maxMemoryUsedMB} MB`,
  ];
  if (fields.initDurationMs !== undefined) parts.push(`Init Duration: ${fields.initDurationMs.toFixed(2)} ms`);
  if (fields.status !== undefined) parts.push(`Status: ${fields.status}`);
  if (fields.errorType !== undefined) parts.push(`Error Type: ${fields.errorType}`);
  return parts.join('\t');
}
