// laambda.json `functions.NAME.events`: HTTP routes, queues, buckets and schedules.
// Queue, bucket and schedule sources are validated in full; schedule expressions by the
// scheduler's own parser, so laambda.json and the scheduler agree on what is valid.
import { z } from 'zod';
import type { BucketEventSource, EventSource, HttpEventSource, QueueEventSource, ScheduleEventSource } from '../core/app.ts';
import { isLaambdaError } from '../core/errors.ts';
import { parseRoute } from '../events/http/routes.ts';
import { scheduleProblem } from '../events/schedule/expression.ts';
import { flag, list, strict, text, wholeNumber } from './manifest-helpers.ts';

/** The route key normalised (`get /a` → `GET /a`); an invalid key is an issue saying why. */
const routeKey = z.string({ error: 'must be a route like "GET /users/{id}", "ANY /files/{proxy+}" or "$default"' }).transform((key, ctx) => {
  try {
    return parseRoute(key).key;
  } catch (error) {
    if (!isLaambdaError(error)) throw error;
    ctx.addIssue({ code: 'custom', message: `invalid route: ${error.message.replace(`Invalid route "${key}": `, '')}` });
    return z.NEVER;
  }
});

const routeShorthand = routeKey
  .transform((route): HttpEventSource => ({ kind: 'http', route, payloadVersion: '2.0' }))
  .describe('An HTTP route with payload 2.0, e.g. "GET /hello", "ANY /files/{proxy+}" or "$default".');

const httpEvent = strict({
  http: routeKey.describe('The route: "METHOD /path" with {var} and a final {var+}, "ANY /path" or "$default".'),
  payload: z
    .enum(['1.0', '2.0'], { error: 'must be "1.0" or "2.0"' })
    .default('2.0')
    .describe('Event format: "2.0" (HTTP API) or "1.0" (REST-style, API Gateway v1). Default "2.0".'),
  authorizer: text('must be the name of an authorizer under http.authorizers')
    .optional()
    .describe('The name of an authorizer under http.authorizers that guards this route.'),
  scopes: list(text('must be a non-empty string'), 'must be a list of scopes')
    .min(1, { error: 'must list at least one scope (or leave scopes out)' })
    .optional()
    .describe('JWT authorizers only: the token must carry at least one of these scopes.'),
})
  .transform(({ http, payload, ...rest }): HttpEventSource => ({ kind: 'http', route: http, payloadVersion: payload, ...rest }))
  .describe('An HTTP route.');

const QUEUE_NAME = /^([A-Za-z0-9_-]{1,75}\.fifo|[A-Za-z0-9_-]{1,80})$/;
const queueEvent = strict({
  queue: text('must be a queue name: 1-80 letters, digits, - and _, optionally ending in .fifo', QUEUE_NAME).describe(
    'The queue to poll (SQS names: 1-80 letters, digits, - and _, optionally ending in .fifo).',
  ),
  batchSize: wholeNumber(1, 10_000).default(10).describe('Most messages per invocation (1-10000; FIFO queues 1-10). Default 10.'),
  maximumBatchingWindow: wholeNumber(0, 300)
    .default(0)
    .describe('Seconds to gather a batch before invoking (0-300); needed (at least 1) when batchSize is over 10. Default 0.'),
  maximumConcurrency: wholeNumber(2, 1000).optional().describe('Most concurrent invocations this source starts (2-1000). Default: no cap.'),
  reportBatchItemFailures: flag()
    .default(false)
    .describe('The function may return {batchItemFailures: [{itemIdentifier}]} so only those messages are retried. Default false.'),
  enabled: flag().default(true).describe('Poll the queue. Default true.'),
})
  .superRefine((queue, ctx) => {
    if (queue.queue.endsWith('.fifo') && queue.batchSize > 10) {
      ctx.addIssue({ code: 'custom', path: ['batchSize'], message: 'must be at most 10 for a FIFO queue' });
    } else if (queue.batchSize > 10 && queue.maximumBatchingWindow < 1) {
      ctx.addIssue({ code: 'custom', path: ['maximumBatchingWindow'], message: 'must be at least 1 when batchSize is over 10 (as in Lambda)' });
    }
  })
  .transform(
    ({ maximumBatchingWindow, ...queue }): QueueEventSource => ({ kind: 'queue', ...queue, maximumBatchingWindowSeconds: maximumBatchingWindow }),
  )
  .describe('Messages from a queue, in batches (SQS event).');

export const S3_EVENTS = [
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
] as const;

const bucketName = text('must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens', /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/).refine(
  (name) => !name.includes('..') && !name.includes('.-') && !name.includes('-.') && !/^\d+\.\d+\.\d+\.\d+$/.test(name),
  { error: 'must be a bucket name: no "..", ".-" or "-." and not an IP address' },
);

const bucketEvent = strict({
  bucket: bucketName.describe('The bucket to watch (S3 names: 3-63 lowercase letters, digits, dots and hyphens).'),
  events: list(z.enum(S3_EVENTS, { error: `must be one of ${S3_EVENTS.join(', ')}` }), 'must be a list of S3 event names')
    .min(1, { error: 'must list at least one event' })
    .default(['s3:ObjectCreated:*'])
    .describe('Which changes invoke the function. Default ["s3:ObjectCreated:*"].'),
  prefix: text('must be a non-empty key prefix').optional().describe('Only keys starting with this, e.g. "logs/".'),
  suffix: text('must be a non-empty key suffix').optional().describe('Only keys ending with this, e.g. ".gz".'),
})
  .transform((bucket): BucketEventSource => ({ kind: 'bucket', ...bucket }))
  .describe('Notifications of object changes in a bucket (S3 event).');

const scheduleEvent = strict({
  schedule: z
    .string({ error: 'must be rate(...) or cron(...)' })
    .superRefine((expression, ctx) => {
      const problem = scheduleProblem(expression);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(
      'When to run, as in EventBridge: "rate(5 minutes)", "rate(1 hour)" or "cron(minutes hours day-of-month month day-of-week year)", UTC, e.g. "cron(0 12 * * ? *)".',
    ),
  input: z.unknown().optional().describe('A constant JSON event to send instead of the Scheduled Event payload.'),
  enabled: flag().default(true).describe('Run on schedule. Default true.'),
})
  .transform(({ schedule, ...rest }): ScheduleEventSource => ({ kind: 'schedule', expression: schedule, ...rest }))
  .describe('A schedule (EventBridge Scheduler event).');

const EVENT_KINDS = ['http', 'queue', 'bucket', 'schedule'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const eventSchema = z
  .union([routeShorthand, httpEvent, queueEvent, bucketEvent, scheduleEvent], {
    error: (issue) => {
      const input = issue.input;
      const kinds = isObject(input) ? EVENT_KINDS.filter((kind) => kind in input) : [];
      return kinds.length > 1
        ? `declares ${kinds.join(' and ')}; give one of them per event`
        : 'must be a route like "GET /hello" or an object with one of http, queue, bucket or schedule';
    },
  })
  .transform((event): EventSource => event)
  .describe('What invokes the function: an HTTP route, a queue, a bucket or a schedule.');
