import { ERROR_TYPE } from '../protocol.js';
import type { FunctionError } from './types.ts';

/** How an invocation ended when the runtime could not answer it (timeout, crash, init failure). */
export type Fatal = { kind: 'fatal'; error: FunctionError; status: 'timeout' | 'error' };

/** How an invocation ended: the runtime's response or error, or a fatal end. */
export type Outcome =
  | { kind: 'response'; body: Buffer; contentType: string | undefined }
  | { kind: 'error'; body: Buffer }
  | Fatal;

export interface ExitFacts {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The memory limit killed it (cgroup OOM, watchdog, or V8's heap limit). */
  oom: boolean;
  /** The invocation running when it exited, if any. */
  requestId: string | undefined;
  /** What the runtime reported through /init/error before exiting. */
  initError: FunctionError | undefined;
}

/** The error a process exit means, worded as Lambda words it. */
export function exitOutcome(facts: ExitFacts): Fatal {
  const prefix = facts.requestId ? `RequestId: ${facts.requestId} Error: ` : '';
  const signal = facts.signal === 'SIGKILL' ? 'killed' : facts.signal;
  const status = signal ? `signal: ${signal}` : `exit status ${facts.code}`;
  if (facts.oom) {
    const error = { errorType: ERROR_TYPE.outOfMemory, errorMessage: `${prefix}Runtime exited with error: ${status}` };
    return { kind: 'fatal', error, status: 'error' };
  }
  const errorMessage =
    facts.code === 0 && !signal
      ? `${prefix}Runtime exited without providing a reason`
      : `${prefix}Runtime exited with error: ${status}`;
  return { kind: 'fatal', error: facts.initError ?? { errorType: ERROR_TYPE.exit, errorMessage }, status: 'error' };
}

/** A runtime that cannot be started, worded as Lambda words it (e.g. a bootstrap without +x). */
export function entrypointError(command: string, error: NodeJS.ErrnoException): FunctionError {
  const errorMessage =
    error.code === 'ENOENT'
      ? `Couldn't find valid bootstrap(s): [${command}]`
      : error.code === 'EACCES'
        ? `fork/exec ${command}: permission denied (is it executable? chmod +x)`
        : `fork/exec ${command}: ${error.message}`;
  return { errorType: ERROR_TYPE.invalidEntrypoint, errorMessage };
}

export function parseFunctionError(body: Buffer | undefined): FunctionError | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const trace = parsed.stackTrace ?? parsed.trace;
    return {
      errorType: String(parsed.errorType ?? 'Unhandled'),
      errorMessage: String(parsed.errorMessage ?? ''),
      ...(Array.isArray(trace) ? { stackTrace: trace.map(String) } : {}),
    };
  } catch {
    return { errorType: 'Unhandled', errorMessage: body.toString('utf8') };
  }
}

export function parseError(body: Buffer): FunctionError {
  return parseFunctionError(body) ?? { errorType: 'Unhandled', errorMessage: '' };
}
