// The SQS JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`): SigV4 first, then the action.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { silentLogger, type Logger } from '../../core/ports.ts';
import type { QueueService } from '../../events/queue/index.ts';
import type { AwsAuthenticate } from '../auth.ts';
import { ACTIONS } from './actions.ts';
import { sendSqsError, sendSqsResult, sigV4Error, SqsError, sqsErrorOf } from './errors.ts';

export interface SqsHandlerOptions {
  service: QueueService;
  authenticate: AwsAuthenticate;
  region: string;
  accountId: string;
  /** The QueueUrl clients get back, e.g. `http://127.0.0.1:PORT/ACCOUNT/NAME`. */
  queueUrl(name: string): string;
  logger?: Logger;
}

/** Answers one SQS request whose body the caller already read. */
export type SqsHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>;

const TARGET_PREFIX = 'AmazonSQS.';

export function createSqsHandler(options: SqsHandlerOptions): SqsHandler {
  const { service, authenticate, queueUrl } = options;
  const logger = options.logger ?? silentLogger;

  return async (req, res, body) => {
    const requestId = randomUUID();
    const target = headerValue(req, 'x-amz-target') ?? '';
    const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const log = logger.child({ requestId, action });
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const caller = await authenticate(
        {
          method: req.method ?? 'POST',
          rawPath: q === -1 ? url : url.slice(0, q),
          rawQuery: q === -1 ? '' : url.slice(q + 1),
          headers: req.headersDistinct,
          body,
        },
        'sqs',
      );
      if (!caller.ok) {
        log.info({ code: caller.code }, 'sqs request refused');
        sendSqsError(res, sigV4Error(caller.code, caller.message), requestId);
        return;
      }
      const run = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
      if (run === undefined) throw new SqsError('InvalidAction', `The action ${action || '(none)'} is not valid for this endpoint.`);
      const input = parseInput(body);
      const result = await run(
        { service, appId: caller.appId, senderId: caller.accessKeyId, queueUrl, signal: controller.signal },
        input,
      );
      if (!res.destroyed) sendSqsResult(res, result, requestId);
    } catch (error) {
      const sqsError = sqsErrorOf(error);
      if (sqsError === undefined) log.error({ err: error }, 'sqs request failed');
      if (res.headersSent || res.destroyed) return;
      sendSqsError(res, sqsError ?? new SqsError('InternalError', 'We encountered an internal error. Please try again.'), requestId);
    }
  };
}

function parseInput(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SqsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SqsError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
