// The JSON shapes the API answers with. Each is registered under a component name so the
// OpenAPI document refers to it instead of repeating it (see openapi.ts).
import { z } from 'zod';
import { RUNTIMES } from '../core/function.ts';
import type { ReleaseKind } from '../core/platform.ts';

/** Component names of the OpenAPI document. */
export const components = z.registry<{ id: string; description?: string }>();

function component<S extends z.ZodType>(schema: S, id: string, description: string): S {
  components.add(schema, { id, description });
  return schema;
}

const isoTime = z.iso.datetime();

const RELEASE_KINDS = ['deploy', 'config', 'resource', 'sources', 'rollback'] as const satisfies readonly ReleaseKind[];

export const ErrorBody = component(
  z.object({
    statusCode: z.int(),
    code: z.string(),
    error: z.string(),
    message: z.string(),
    fix: z.string(),
    requestId: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
  'Error',
  'Every error answer: a stable code (docs/errors.md), the HTTP reason phrase, a message and how to fix it.',
);

export const Health = z.object({ status: z.literal('ok'), version: z.string() });

export const Auth = component(
  z.object({ tokenId: z.string(), name: z.string(), app: z.string().nullable(), admin: z.boolean() }),
  'Auth',
  'Who the token is.',
);

export const Release = component(
  z.object({
    version: z.int(),
    kind: z.enum(RELEASE_KINDS),
    description: z.string(),
    author: z.string(),
    createdAt: isoTime,
    artifact: z.string().nullable(),
    buildId: z.string().nullable(),
    current: z.boolean(),
  }),
  'Release',
  'An immutable release vN.',
);

export const App = component(
  z.object({
    name: z.string(),
    domain: z.string().nullable(),
    createdAt: isoTime,
    release: z.int().nullable(),
    gatewayUrl: z.string(),
    gitUrl: z.string(),
  }),
  'App',
  'An app; `release` is the live version, null before any release.',
);

export const AppInfo = component(
  App.extend({ functions: z.array(z.string()), lastDeploy: Release.nullable() }),
  'AppInfo',
  'An app with its function names and its last deploy.',
);

export const FunctionInfo = component(
  z.object({
    name: z.string(),
    lambdaName: z.string(),
    arn: z.string(),
    handler: z.string(),
    runtime: z.enum(RUNTIMES),
    memoryMB: z.int(),
    timeoutS: z.int(),
    concurrency: z.int(),
    routes: z.array(z.string()),
    url: z.string().nullable(),
  }),
  'FunctionInfo',
  'A function of the live release.',
);

export const FunctionOverrides = component(
  z.object({
    memoryMB: z.int().optional(),
    timeoutS: z.int().optional(),
    concurrency: z.int().optional(),
    events: z.array(z.string()).optional().describe('Sources set with event-sources:* (CLI form), replacing the declared ones.'),
  }),
  'FunctionOverrides',
  'Per-function settings that override laambda.json and the defaults.',
);

export const EventSourceInfo = component(
  z.object({
    function: z.string(),
    kind: z.enum(['http', 'queue', 'bucket', 'schedule']),
    source: z.string().describe('The CLI form, e.g. queue:orders?batch=5.'),
    origin: z.enum(['laambda.json', 'default', 'cli']),
    status: z.string().nullable().describe("A schedule's next fire time, a queue mapping's state; null for routes."),
  }),
  'EventSource',
  'One source of one function of the live release.',
);

export const QueueInfo = component(
  z.object({
    name: z.string(),
    arn: z.string(),
    url: z.string().describe('The SQS QueueUrl on the AWS endpoint.'),
    visibilityTimeoutS: z.int(),
    delayS: z.int(),
    retentionS: z.int(),
    deadLetterQueue: z.string().nullable(),
    maxReceiveCount: z.int().nullable(),
    messages: z.int().describe('Visible now.'),
    inFlight: z.int().describe('Received and not yet deleted or visible again.'),
    delayed: z.int(),
    ageOfOldestMessageS: z.number(),
    createdAt: z.string(),
  }),
  'Queue',
  'A queue with its settings and message counts.',
);

export const BucketInfo = component(z.object({ name: z.string(), region: z.string(), createdAt: z.string() }), 'Bucket', 'A bucket.');

export const ObjectInfo = component(
  z.object({ key: z.string(), size: z.int(), eTag: z.string(), contentType: z.string(), lastModified: z.string() }),
  'Object',
  'An object of a bucket (its bytes come from objects.get or the S3 endpoint).',
);

export const ScheduleInfo = component(
  z.object({ function: z.string(), expression: z.string(), enabled: z.boolean(), nextFireAt: z.string().nullable(), lastFiredAt: z.string().nullable() }),
  'Schedule',
  'A schedule of the live release.',
);

export const LogEntry = component(
  z.object({
    id: z.int(),
    time: z.string(),
    function: z.string().nullable(),
    release: z.int().nullable(),
    requestId: z.string().nullable(),
    stream: z.string().describe('stdout, stderr, platform (START/END/REPORT) or event (platform events)'),
    type: z.string().nullable().describe('The kind of platform event: deploy, build, config, release, throttle, drain, …'),
    line: z.string(),
  }),
  'LogEntry',
  'One log line.',
);

export const DrainInfo = component(
  z.object({ url: z.string(), state: z.string(), sent: z.int(), buffered: z.int(), dropped: z.int(), lastError: z.string().nullable() }),
  'Drain',
  'A log drain with what it has sent, holds and dropped.',
);

const FunctionMetrics = z.object({
  function: z.string(),
  invocations: z.int(),
  errors: z.int(),
  throttles: z.int(),
  timeouts: z.int(),
  coldStarts: z.int(),
  p50Ms: z.number().nullable(),
  p90Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  billedMs: z.number(),
  maxMemoryMB: z.number().nullable(),
  maxConcurrency: z.number().nullable(),
});

export const MetricsInfo = component(
  z.object({
    since: z.string(),
    until: z.string(),
    functions: z.array(FunctionMetrics),
    minutes: z.array(z.object({ minute: z.string(), function: z.string(), invocations: z.int(), errors: z.int(), p99Ms: z.number().nullable() })),
  }),
  'Metrics',
  'Per-function metrics over a window, and per minute.',
);

export const ReleaseInfo = component(
  Release.extend({
    configKeys: z.array(z.string()),
    overrides: z.record(z.string(), FunctionOverrides),
    functions: z.array(FunctionInfo),
  }),
  'ReleaseInfo',
  'A release with its config keys (not values), overrides and functions.',
);

export const Build = component(
  z.object({
    id: z.string(),
    status: z.enum(['running', 'succeeded', 'failed']),
    source: z.string(),
    revision: z.string().nullable(),
    author: z.string(),
    artifact: z.string().nullable(),
    release: z.int().nullable(),
    error: z.string().nullable(),
    startedAt: isoTime,
    finishedAt: isoTime.nullable(),
    output: z.string().optional(),
  }),
  'Build',
  'A build; `output` only when fetched alone.',
);

export const Config = component(z.record(z.string(), z.string()), 'Config', "The app's environment, decrypted.");

export const ConfigRelease = z.object({ config: Config, release: Release });

export const TokenInfo = component(
  z.object({
    id: z.string(),
    name: z.string(),
    app: z.string().nullable(),
    createdAt: isoTime,
    lastUsedAt: isoTime.nullable(),
  }),
  'TokenInfo',
  'An API token (never the token itself).',
);

export const CreatedToken = component(
  TokenInfo.extend({ token: z.string() }),
  'CreatedToken',
  'A new token; the plain token is shown only here.',
);

export const KeyInfo = component(
  z.object({ accessKeyId: z.string(), app: z.string(), createdAt: isoTime }),
  'KeyInfo',
  'An AWS access key of an app.',
);

export const CreatedKey = component(
  KeyInfo.extend({ secretAccessKey: z.string(), endpointUrl: z.string(), region: z.string() }),
  'CreatedKey',
  'A new access key; the secret is shown only here.',
);

export const DeployEvent = component(
  z.union([
    z.object({ type: z.enum(['step', 'log']), step: z.string(), message: z.string() }),
    z.object({ type: z.literal('result'), ok: z.literal(true), build: z.string(), release: Release }),
    z.object({
      type: z.literal('result'),
      ok: z.literal(false),
      build: z.string().nullable(),
      error: z.object({ code: z.string(), message: z.string(), fix: z.string() }),
    }),
  ]),
  'DeployEvent',
  'One line of the deploy stream (application/x-ndjson).',
);

export type ApiErrorBody = z.output<typeof ErrorBody>;
export type ApiAuth = z.output<typeof Auth>;
export type ApiApp = z.output<typeof App>;
export type ApiAppInfo = z.output<typeof AppInfo>;
export type ApiFunction = z.output<typeof FunctionInfo>;
export type ApiRelease = z.output<typeof Release>;
export type ApiReleaseInfo = z.output<typeof ReleaseInfo>;
export type ApiBuild = z.output<typeof Build>;
export type ApiToken = z.output<typeof TokenInfo>;
export type ApiCreatedToken = z.output<typeof CreatedToken>;
export type ApiKey = z.output<typeof KeyInfo>;
export type ApiCreatedKey = z.output<typeof CreatedKey>;
export type ApiDeployEvent = z.output<typeof DeployEvent>;
export type ApiEventSource = z.output<typeof EventSourceInfo>;
export type ApiQueue = z.output<typeof QueueInfo>;
export type ApiBucket = z.output<typeof BucketInfo>;
export type ApiObject = z.output<typeof ObjectInfo>;
export type ApiSchedule = z.output<typeof ScheduleInfo>;
