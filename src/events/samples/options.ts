import { LaambdaError } from '../../core/errors.ts';
import type { SampleValues } from './context.ts';

export interface EventOption {
  /** The flag as commander spells it, e.g. `--bucket <name>`. */
  flags: string;
  help: string;
}

/** Every option any event type takes, declared once; each type lists the ones it accepts. */
export const EVENT_OPTIONS = {
  region: { flags: '--region <region>', help: 'the AWS region in ARNs and awsRegion (default us-east-1)' },
  method: { flags: '--method <method>', help: 'the HTTP method (default GET)' },
  path: { flags: '--path <path>', help: 'the request path (default /)' },
  query: { flags: '--query <string>', help: 'the query string, e.g. a=1&b=2' },
  body: { flags: '--body <text>', help: 'the request or message body' },
  bucket: { flags: '--bucket <name>', help: 'the S3 bucket name' },
  key: { flags: '--key <key>', help: 'the S3 object key, as uploaded (the event carries it URL-encoded)' },
  size: { flags: '--size <bytes>', help: 'the S3 object size in bytes (default 1024)' },
  queue: { flags: '--queue <name>', help: 'the SQS queue name' },
  count: { flags: '--count <n>', help: 'how many SQS records (default 1)' },
  topic: { flags: '--topic <name>', help: 'the SNS topic name' },
  message: { flags: '--message <text>', help: 'the SNS message' },
  subject: { flags: '--subject <text>', help: 'the SNS subject (default null)' },
  rule: { flags: '--rule <name>', help: 'the EventBridge rule name' },
  table: { flags: '--table <name>', help: 'the DynamoDB table name' },
  eventName: { flags: '--event-name <name>', help: 'the DynamoDB change: INSERT, MODIFY or REMOVE (default INSERT)' },
  stream: { flags: '--stream <name>', help: 'the Kinesis stream name' },
  data: { flags: '--data <text>', help: 'the Kinesis record data, as text (the event carries it base64-encoded)' },
  token: { flags: '--token <token>', help: 'the caller-supplied authorization token' },
  methodArn: { flags: '--method-arn <arn>', help: 'the ARN of the method being authorized' },
} as const satisfies Record<string, EventOption>;

export type EventOptionName = keyof typeof EVENT_OPTIONS;

/** The bare flag of an option, e.g. `--event-name`. */
export function flagOf(name: EventOptionName): string {
  return EVENT_OPTIONS[name].flags.split(' ')[0] ?? name;
}

/** An integer option within bounds, or the fallback when absent. */
export function intValue(values: SampleValues, name: EventOptionName, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LaambdaError('ERR_EVENT_OPTION_INVALID', `${flagOf(name)} takes a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** One of a closed set of words (case-insensitive), or the fallback when absent. */
export function choiceValue<T extends string>(values: SampleValues, name: EventOptionName, choices: readonly T[], fallback: T): T {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const upper = raw.toUpperCase();
  const found = choices.find((choice) => choice === upper);
  if (found === undefined) {
    throw new LaambdaError('ERR_EVENT_OPTION_INVALID', `${flagOf(name)} takes ${choices.join(', ')}, got "${raw}"`);
  }
  return found;
}
