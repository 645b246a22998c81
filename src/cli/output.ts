import { styleText } from 'node:util';
import { ApiError } from '../api/client.ts';
import { type ErrorCode, isLaambdaError, LaambdaError } from '../core/errors.ts';
import type { LogRecord } from '../runtime/index.ts';

/** Exit codes: 1 user error, 2 usage, 3 system error. */
export const EXIT = { ok: 0, user: 1, usage: 2, system: 3 } as const;

export type Style = Parameters<typeof styleText>[0];

export function paint(stream: NodeJS.WriteStream, style: Style, text: string): string {
  return stream.isTTY && !process.env.NO_COLOR ? styleText(style, text) : text;
}

/** A LaambdaError that exits 2 (usage): bad arguments caught before any request is made. */
export function usageError(code: ErrorCode, message: string): LaambdaError {
  return new LaambdaError(code, message, { details: { usage: true } });
}

/** `✘ CODE: message` and one line on how to fix it; returns the exit code. */
export function printError(error: unknown, stream: NodeJS.WriteStream = process.stderr): number {
  // Errors the server answered with carry its code and fix line, as local errors do.
  if (isLaambdaError(error) || error instanceof ApiError) {
    stream.write(`${paint(stream, 'red', '✘')} ${error.code}: ${error.message}\n`);
    stream.write(`  ${paint(stream, 'dim', 'fix:')} ${error.fix}\n`);
    if (isLaambdaError(error) && error.details?.usage === true) return EXIT.usage;
    return error.kind === 'user' ? EXIT.user : EXIT.system;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stream.write(`${paint(stream, 'red', '✘')} ERR_PLATFORM_INTERNAL: ${message}\n`);
  stream.write(`  ${paint(stream, 'dim', 'fix:')} This is a bug in laambda; please report it with this output.\n`);
  return EXIT.system;
}

/** A function's log line as the terminal shows it; REPORT lines stand out. */
export function formatLogLine(record: LogRecord, stream: NodeJS.WriteStream): string {
  // Lambda's Node runtime folds a multi-line message into one record with carriage returns.
  const line = record.line.replaceAll('\r', '\n    ');
  if (record.stream !== 'platform') return `${line}\n`;
  if (line.startsWith('REPORT')) return `${paint(stream, 'cyan', line)}\n`;
  return `${paint(stream, 'dim', line)}\n`;
}

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM: long-running commands then shut down gracefully. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
