import { pino } from 'pino';
import type { Logger } from '../core/ports.ts';

export interface LoggerOptions {
  level: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where JSON lines go; standard error by default, so command output stays clean. */
  destination?: NodeJS.WritableStream;
}

/** The platform logger: structured JSON lines, fields first, secrets redacted by key. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: ['*.secret', '*.password', '*.token', 'config.*'], censor: '[redacted]' },
    },
    options.destination ?? pino.destination(2),
  );
}
