// The runtime engine reports scaling, throttles, timeouts and crashes through its logger. This
// logger passes everything on unchanged and also turns those reports into platform events for
// the app's log, so `laambda logs` shows them beside the function's own lines. Throttle events
// are folded to at most one per function per second, with the count, so a flood of 429s cannot
// flood the log.
import type { Logger } from '../core/ports.ts';

export interface EngineEvent {
  /** The Lambda name of the function (the engine's `fn` field). */
  lambdaName: string;
  type: 'scale' | 'throttle' | 'timeout' | 'crash';
  message: string;
  requestId?: string;
}

const THROTTLE_WINDOW_MS = 1000;

export function engineEventLogger(base: Logger, onEvent: (event: EngineEvent) => void, now: () => number = Date.now): Logger {
  const throttles = new Map<string, { windowStart: number; count: number }>();

  const translate = (fields: Record<string, unknown>, message: string): void => {
    const lambdaName = typeof fields.fn === 'string' ? fields.fn : undefined;
    if (lambdaName === undefined) return;
    const requestId = typeof fields.requestId === 'string' ? fields.requestId : undefined;
    switch (message) {
      case 'environment started':
        onEvent({ lambdaName, type: 'scale', message: `environment ${String(fields.env)} started (pid ${String(fields.pid)})` });
        return;
      case 'environment stopped':
        onEvent({ lambdaName, type: 'scale', message: `environment ${String(fields.env)} stopped` });
        return;
      case 'environment ended mid-invocation': {
        const timedOut = fields.errorType === 'Sandbox.Timedout';
        onEvent({
          lambdaName,
          type: timedOut ? 'timeout' : 'crash',
          message: timedOut ? 'invocation timed out; its environment was stopped' : `environment ended mid-invocation (${String(fields.errorType)}, exit ${String(fields.code ?? fields.signal)})`,
          ...(requestId === undefined ? {} : { requestId }),
        });
        return;
      }
      case 'invocation throttled': {
        const at = now();
        const window = throttles.get(lambdaName);
        if (window !== undefined && at - window.windowStart < THROTTLE_WINDOW_MS) {
          window.count += 1;
          return;
        }
        const folded = window?.count ?? 0;
        throttles.set(lambdaName, { windowStart: at, count: 0 });
        onEvent({ lambdaName, type: 'throttle', message: `invocation throttled: every environment is busy (concurrency limit)${folded > 0 ? `; ${folded} more in the last second` : ''}` });
        return;
      }
    }
  };

  const wrap = (logger: Logger): Logger => ({
    debug: (fields, message) => {
      logger.debug(fields, message);
      translate(fields, message);
    },
    info: (fields, message) => {
      logger.info(fields, message);
      translate(fields, message);
    },
    warn: (fields, message) => {
      logger.warn(fields, message);
      translate(fields, message);
    },
    error: (fields, message) => {
      logger.error(fields, message);
      translate(fields, message);
    },
    child: (bindings) => wrap(logger.child(bindings)),
  });
  return wrap(base);
}
