import { LaambdaError } from '../../core/errors.ts';
import { authorizerRequestEvent, authorizerTokenEvent } from './authorizers.ts';
import { createSampleContext, type SampleContext, type SampleValues } from './context.ts';
import { albEvent, apigwV1Event, apigwV2Event } from './http.ts';
import { scheduleEvent, snsEvent, sqsEvent } from './messaging.ts';
import { EVENT_OPTIONS, type EventOptionName, flagOf } from './options.ts';
import { s3DeleteEvent, s3PutEvent } from './s3.ts';
import { dynamodbEvent, kinesisEvent } from './streams.ts';

export { ACCOUNT_ID, DEFAULT_REGION, createSampleContext, type SampleContext, type SampleValues } from './context.ts';
export { EVENT_OPTIONS, type EventOption, type EventOptionName } from './options.ts';
export { encodeS3EventKey } from './s3.ts';

interface EventType {
  summary: string;
  options: readonly EventOptionName[];
  generate: (values: SampleValues, ctx: SampleContext) => unknown;
}

const HTTP = ['method', 'path', 'query', 'body', 'region'] as const;

/** Every event type `events:generate` knows, with the options it accepts. */
export const EVENT_TYPES = {
  'apigw-v2': { summary: 'API Gateway HTTP API request (payload 2.0)', options: HTTP, generate: apigwV2Event },
  'apigw-v1': { summary: 'API Gateway REST API proxy request (payload 1.0)', options: HTTP, generate: apigwV1Event },
  alb: { summary: 'Application Load Balancer request', options: HTTP, generate: albEvent },
  's3-put': { summary: 'S3 ObjectCreated:Put notification', options: ['bucket', 'key', 'size', 'region'], generate: s3PutEvent },
  's3-delete': { summary: 'S3 ObjectRemoved:Delete notification', options: ['bucket', 'key', 'region'], generate: s3DeleteEvent },
  sqs: { summary: 'SQS batch of messages', options: ['queue', 'body', 'count', 'region'], generate: sqsEvent },
  sns: { summary: 'SNS notification', options: ['topic', 'message', 'subject', 'region'], generate: snsEvent },
  schedule: { summary: 'EventBridge Scheduled Event', options: ['rule', 'region'], generate: scheduleEvent },
  dynamodb: { summary: 'DynamoDB Streams record', options: ['table', 'eventName', 'region'], generate: dynamodbEvent },
  kinesis: { summary: 'Kinesis Data Streams record', options: ['stream', 'data', 'region'], generate: kinesisEvent },
  'authorizer-token': {
    summary: 'REST API Lambda authorizer input, TOKEN type',
    options: ['token', 'methodArn', 'method', 'path', 'region'],
    generate: authorizerTokenEvent,
  },
  'authorizer-request': {
    summary: 'REST API Lambda authorizer input, REQUEST type',
    options: ['method', 'path', 'query', 'token', 'methodArn', 'region'],
    generate: authorizerRequestEvent,
  },
} as const satisfies Record<string, EventType>;

export type EventTypeName = keyof typeof EVENT_TYPES;

export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventTypeName[];

export function isEventType(value: string): value is EventTypeName {
  return Object.hasOwn(EVENT_TYPES, value);
}

/**
 * A realistic AWS event of `type`, shaped like AWS's own samples, with fresh ids and the
 * context's time. Unknown types and options a type does not take are user errors.
 */
export function generateEvent(type: string, values: SampleValues = {}, ctx: SampleContext = createSampleContext()): unknown {
  if (!isEventType(type)) {
    throw new LaambdaError('ERR_EVENT_TYPE_UNKNOWN', `unknown event type "${type}" (use ${EVENT_TYPE_NAMES.join(', ')})`);
  }
  const definition: EventType = EVENT_TYPES[type];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (!(definition.options as readonly string[]).includes(name)) {
      const flag = Object.hasOwn(EVENT_OPTIONS, name) ? flagOf(name as EventOptionName) : name;
      const valid = definition.options.map(flagOf).join(', ');
      throw new LaambdaError('ERR_EVENT_OPTION_INVALID', `${type} does not take ${flag} (it takes ${valid})`);
    }
  }
  return definition.generate(values, ctx);
}
