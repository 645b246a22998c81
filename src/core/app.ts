// The app definition: what a Procfile plus an optional laambda.json declare.
// Pure types; src/build/manifest.ts validates laambda.json into these shapes.
import type { Runtime } from './function.ts';

export type PayloadVersion = '1.0' | '2.0';

/** CORS for the app's HTTP API (or one function URL), as API Gateway's HTTP API configures it. */
export interface CorsConfig {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  /** Seconds; omitted means the browser's default. */
  maxAge?: number;
}

/**
 * Identity sources in either API Gateway syntax: HTTP API `$request.header.Authorization`,
 * `$request.querystring.token`, `$context.routeKey`, `$stageVariables.x`, or REST
 * `method.request.header.Authorization`, `method.request.querystring.token`.
 */
export type IdentitySource = string;

/** REST API TOKEN authorizer: the function gets `{type: 'TOKEN', authorizationToken, methodArn}`. */
export interface TokenAuthorizerConfig {
  type: 'token';
  function: string;
  /** One header; default `$request.header.Authorization`. */
  identitySource: IdentitySource;
  /** A regex the token must match, else 401 without invoking the function. */
  validationExpression?: string;
  /** Result cache TTL in seconds (0-3600); default 300. */
  ttlSeconds: number;
}

/** REQUEST authorizer: REST (payload 1.0) or HTTP API (payload 1.0 or 2.0). */
export interface RequestAuthorizerConfig {
  type: 'request';
  function: string;
  payloadVersion: PayloadVersion;
  /** HTTP API 2.0 only: the function answers `{isAuthorized, context}` instead of an IAM policy. */
  simpleResponses: boolean;
  /** Every source must be present, else 401 without invoking; they key the cache. */
  identitySource: IdentitySource[];
  /** Result cache TTL in seconds (0-3600); default 0 when identitySource is empty, else 300. */
  ttlSeconds: number;
}

/** HTTP API JWT authorizer, checked locally. Exactly one of jwksUrl / jwksFile. */
export interface JwtAuthorizerConfig {
  type: 'jwt';
  issuer: string;
  /** The token's `aud` (or `client_id`) must be one of these. */
  audience: string[];
  jwksUrl?: string;
  /** Path relative to the app directory. */
  jwksFile?: string;
  /** Default `$request.header.Authorization` (a `Bearer ` prefix is stripped). */
  identitySource: IdentitySource;
}

export type AuthorizerConfig = TokenAuthorizerConfig | RequestAuthorizerConfig | JwtAuthorizerConfig;

/** One HTTP route of a function. */
export interface HttpEventSource {
  kind: 'http';
  /** `METHOD /path/{param}/{proxy+}`, `ANY /path` or `$default`. */
  route: string;
  /** Event format; default 2.0 (HTTP API), 1.0 for REST-style events. */
  payloadVersion: PayloadVersion;
  /** Name of an authorizer under `http.authorizers`. */
  authorizer?: string;
  /** JWT only: the token must carry at least one of these scopes. */
  scopes?: string[];
}

/** SQS-style queue mapping (event-sources issue). */
export interface QueueEventSource {
  kind: 'queue';
  queue: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maximumConcurrency?: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

/** S3-style bucket notification (event-sources issue). */
export interface BucketEventSource {
  kind: 'bucket';
  bucket: string;
  /** e.g. `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`. */
  events: string[];
  prefix?: string;
  suffix?: string;
}

/** EventBridge-style schedule (event-sources issue). */
export interface ScheduleEventSource {
  kind: 'schedule';
  /** `rate(5 minutes)` or `cron(0 12 * * ? *)`. */
  expression: string;
  /** Constant event instead of the Scheduled Event payload. */
  input?: unknown;
  enabled: boolean;
}

export type EventSource = HttpEventSource | QueueEventSource | BucketEventSource | ScheduleEventSource;

/** Where an async invocation record goes: another function of the app, or a queue of the app. */
export type Destination = { kind: 'function'; name: string } | { kind: 'queue'; name: string };

/** Asynchronous invocation settings (Lambda's event invoke config). */
export interface AsyncConfig {
  /** Retries after a function error: 0-2; default 2. */
  maximumRetryAttempts: number;
  /** Oldest event still run, in seconds: 60-21600; default 21600 (6 hours). */
  maximumEventAgeSeconds: number;
  /** Gets the invocation record of a success. */
  onSuccess?: Destination;
  /** Gets the invocation record once retries are exhausted or the event is too old. */
  onFailure?: Destination;
}

/** Lambda's defaults: two retries, events kept six hours, no destinations. */
export const DEFAULT_ASYNC_CONFIG: Readonly<AsyncConfig> = Object.freeze({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 });

/** A function URL (payload 2.0 always). */
export interface FunctionUrlConfig {
  /** `NONE` (public) or `AWS_IAM` (SigV4, checked by the platform). */
  authType: 'NONE' | 'AWS_IAM';
  cors?: CorsConfig;
}

/** One function of an app: its Procfile entry merged with its laambda.json settings. */
export interface FunctionDefinition {
  /** The Procfile name. */
  name: string;
  /** `module.function`, possibly with a directory: `src/users.handler`. */
  handler: string;
  runtime: Runtime;
  memoryMB?: number;
  timeoutS?: number;
  concurrency?: number;
  environment: Record<string, string>;
  /**
   * Declared sources. Undefined (no `events` key) gets the default HTTP routes; an empty list
   * means no routes at all (an authorizer, a queue worker).
   */
  events?: EventSource[];
  url?: FunctionUrlConfig;
  /** Retries, event age and destinations of `Event` invocations; undefined means Lambda's defaults. */
  async?: AsyncConfig;
}

/** HTTP settings shared by every route of the app. */
export interface HttpApiConfig {
  cors?: CorsConfig;
  authorizers: Record<string, AuthorizerConfig>;
}

export interface AppDefinition {
  name: string;
  /** Absolute path of the app directory. */
  dir: string;
  functions: FunctionDefinition[];
  http: HttpApiConfig;
}

/**
 * The routes a function answers: its declared `http` events, or — when it declares no `events`
 * at all — `ANY /NAME` and `ANY /NAME/{proxy+}`, so a bare Procfile app is reachable.
 */
export function httpRoutesOf(fn: FunctionDefinition): HttpEventSource[] {
  if (fn.events !== undefined) return fn.events.filter((event): event is HttpEventSource => event.kind === 'http');
  return [
    { kind: 'http', route: `ANY /${fn.name}`, payloadVersion: '2.0' },
    { kind: 'http', route: `ANY /${fn.name}/{proxy+}`, payloadVersion: '2.0' },
  ];
}
