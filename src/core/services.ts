// The platform's use-cases as the control API calls them. The API layer (src/api) only
// translates HTTP to these calls and their results to JSON; src/deploy implements them.
// Every method checks the principal's access and throws LaambdaError codes
// (ERR_APP_NOT_FOUND for an app the token may not see, ERR_API_FORBIDDEN for admin-only calls).
import type { FunctionOverrides, ReleaseKind } from './platform.ts';
import type { Runtime } from './function.ts';

/** Who is calling: resolved from a token. */
export interface Principal {
  tokenId: string;
  name: string;
  /** The app an app token is bound to; null for admin tokens. */
  appId: string | null;
  appName: string | null;
  admin: boolean;
}

export interface AppView {
  name: string;
  domain: string | null;
  createdAt: number;
  /** Live release version, null before any release. */
  release: number | null;
  gatewayUrl: string;
  gitUrl: string;
}

export interface AppInfoView extends AppView {
  functions: string[];
  lastDeploy: ReleaseView | null;
}

export interface FunctionView {
  name: string;
  lambdaName: string;
  arn: string;
  handler: string;
  runtime: Runtime;
  memoryMB: number;
  timeoutS: number;
  concurrency: number;
  /** Route keys, e.g. `GET /users/{id}`. */
  routes: string[];
  /** The function URL, when it has one. */
  url: string | null;
}

/** One source of one function: what invokes it. */
export interface EventSourceView {
  function: string;
  kind: 'http' | 'queue' | 'bucket' | 'schedule';
  /** The CLI form, e.g. `queue:orders?batch=5`. */
  source: string;
  /** `laambda.json` (declared), `default` (the routes of a function that declares none) or `cli` (set with event-sources:*). */
  origin: 'laambda.json' | 'default' | 'cli';
  /** How it runs now: a schedule's next fire time, a queue mapping's state; null for routes. */
  status: string | null;
}

export interface QueueView {
  name: string;
  arn: string;
  url: string;
  visibilityTimeoutS: number;
  delayS: number;
  retentionS: number;
  /** The dead-letter queue and after how many receives messages go there. */
  deadLetterQueue: string | null;
  maxReceiveCount: number | null;
  messages: number;
  inFlight: number;
  delayed: number;
  ageOfOldestMessageS: number;
  createdAt: number;
}

export interface QueueSettings {
  visibilityTimeoutS?: number;
  delayS?: number;
  retentionS?: number;
  /** The DLQ's name (created when missing) with maxReceiveCount (default 5). */
  deadLetterQueue?: string;
  maxReceiveCount?: number;
}

export interface BucketView {
  name: string;
  region: string;
  createdAt: number;
}

export interface ObjectView {
  key: string;
  size: number;
  eTag: string;
  contentType: string;
  lastModified: number;
}

export interface ScheduleView {
  function: string;
  expression: string;
  enabled: boolean;
  nextFireAt: number | null;
  lastFiredAt: number | null;
}

/** One stored log line: a function's output or a platform event. */
export interface LogEntryView {
  id: number;
  time: number;
  /** Procfile name; null for app-level events. */
  function: string | null;
  release: number | null;
  requestId: string | null;
  /** `stdout`, `stderr`, `platform` (START/END/REPORT) or `event` (deploys, config, throttles…). */
  stream: string;
  /** The kind of platform event (`deploy`, `config`, `throttle`, …); null for function output. */
  type: string | null;
  line: string;
}

export interface LogFilter {
  function?: string;
  requestId?: string;
  /** `30s`, `15m`, `1h`, `2d` or an ISO time. */
  since?: string;
  grep?: string;
  /** The newest N lines of the history (oldest first); default 100. */
  lines?: number;
}

export interface DrainView {
  url: string;
  state: string;
  sent: number;
  buffered: number;
  dropped: number;
  lastError: string | null;
}

export interface FunctionMetricsView {
  function: string;
  invocations: number;
  errors: number;
  throttles: number;
  timeouts: number;
  coldStarts: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  billedMs: number;
  maxMemoryMB: number | null;
  maxConcurrency: number | null;
}

export interface MinuteMetricsView {
  minute: number;
  function: string;
  invocations: number;
  errors: number;
  p99Ms: number | null;
}

export interface MetricsView {
  since: number;
  until: number;
  functions: FunctionMetricsView[];
  minutes: MinuteMetricsView[];
}

export interface ReleaseView {
  version: number;
  kind: ReleaseKind;
  description: string;
  author: string;
  createdAt: number;
  artifact: string | null;
  buildId: string | null;
  /** True for the live release (the newest). */
  current: boolean;
}

export interface ReleaseInfoView extends ReleaseView {
  configKeys: string[];
  overrides: Record<string, FunctionOverrides>;
  functions: FunctionView[];
}

export interface BuildView {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  source: string;
  revision: string | null;
  author: string;
  artifact: string | null;
  release: number | null;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  /** Only from `builds.get`. */
  output?: string;
}

export interface TokenView {
  id: string;
  name: string;
  app: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface KeyView {
  accessKeyId: string;
  app: string;
  createdAt: number;
}

/** One line of a build's progress, streamed to `laambda deploy` and `git push`. */
export type DeployEvent =
  | { type: 'step'; step: string; message: string }
  | { type: 'log'; step: string; message: string }
  | { type: 'result'; ok: true; build: string; release: ReleaseView }
  | { type: 'result'; ok: false; build: string | null; error: { code: string; message: string; fix: string } };

export interface DeployRequest {
  /** The uploaded tar archive (gzip or plain), as it arrives. */
  archive: AsyncIterable<Uint8Array>;
  gzip: boolean;
  description?: string;
  /** `deploy` or `git`. */
  source: string;
  revision?: string;
}

export interface PlatformServices {
  /** The principal of a token, or undefined when the token is unknown. */
  authenticate(token: string): Promise<Principal | undefined>;
  apps: {
    list(principal: Principal): Promise<AppView[]>;
    create(principal: Principal, input: { name: string; domain?: string | null }): Promise<AppView>;
    info(principal: Principal, app: string): Promise<AppInfoView>;
    /** `confirm` must equal the app name. */
    destroy(principal: Principal, app: string, confirm: string): Promise<void>;
  };
  functions: {
    list(principal: Principal, app: string): Promise<FunctionView[]>;
    /** Validated against Lambda's ranges; makes a `resource` release. */
    update(principal: Principal, app: string, fn: string, overrides: FunctionOverrides): Promise<{ function: FunctionView; release: ReleaseView }>;
  };
  eventSources: {
    /** Every source of the live release, or of one function. */
    list(principal: Principal, app: string, fn?: string): Promise<EventSourceView[]>;
    /** Each change makes a `sources` release; the answer lists the function's sources after it. */
    add(principal: Principal, app: string, fn: string, source: string): Promise<{ sources: EventSourceView[]; release: ReleaseView }>;
    remove(principal: Principal, app: string, fn: string, source: string): Promise<{ sources: EventSourceView[]; release: ReleaseView }>;
    clear(principal: Principal, app: string, fn: string): Promise<{ sources: EventSourceView[]; release: ReleaseView }>;
    /** Drops the sources set from the CLI: the function runs with its laambda.json events again. */
    reset(principal: Principal, app: string, fn: string): Promise<{ sources: EventSourceView[]; release: ReleaseView }>;
  };
  queues: {
    list(principal: Principal, app: string): Promise<QueueView[]>;
    create(principal: Principal, app: string, name: string, settings: QueueSettings): Promise<QueueView>;
    remove(principal: Principal, app: string, name: string): Promise<void>;
    /** FIFO queues need `groupId`, and `deduplicationId` unless they deduplicate by content. */
    send(
      principal: Principal,
      app: string,
      name: string,
      message: { body: string; delayS?: number; groupId?: string; deduplicationId?: string },
    ): Promise<{ messageId: string }>;
    purge(principal: Principal, app: string, name: string): Promise<{ purged: number }>;
    /** Moves a dead-letter queue's messages back to the queues they came from. */
    redrive(principal: Principal, app: string, name: string): Promise<{ moved: number }>;
  };
  buckets: {
    list(principal: Principal, app: string): Promise<BucketView[]>;
    create(principal: Principal, app: string, name: string): Promise<BucketView>;
    remove(principal: Principal, app: string, name: string): Promise<void>;
  };
  objects: {
    list(principal: Principal, app: string, bucket: string, options?: { prefix?: string }): Promise<ObjectView[]>;
    put(principal: Principal, app: string, bucket: string, key: string, body: NodeJS.ReadableStream, contentType?: string): Promise<ObjectView>;
    get(principal: Principal, app: string, bucket: string, key: string): Promise<{ object: ObjectView; body: NodeJS.ReadableStream }>;
  };
  schedules: {
    list(principal: Principal, app: string): Promise<ScheduleView[]>;
  };
  logs: {
    /** The stored history, oldest first. */
    query(principal: Principal, app: string, filter: LogFilter): Promise<LogEntryView[]>;
    /** Live lines as they are written, until the returned function is called. */
    tail(principal: Principal, app: string, filter: LogFilter, onEntry: (entry: LogEntryView) => void): Promise<() => void>;
  };
  drains: {
    list(principal: Principal, app: string): Promise<DrainView[]>;
    add(principal: Principal, app: string, url: string): Promise<DrainView>;
    remove(principal: Principal, app: string, url: string): Promise<void>;
  };
  metrics: {
    query(principal: Principal, app: string, options: { function?: string; since?: string }): Promise<MetricsView>;
  };
  deploys: {
    /**
     * Builds and releases an uploaded archive. Access is checked (and the app resolved) before the
     * first event, so those errors throw; build failures arrive as a `result` event with ok false.
     */
    start(principal: Principal, app: string, request: DeployRequest): Promise<AsyncIterable<DeployEvent>>;
  };
  builds: {
    list(principal: Principal, app: string): Promise<BuildView[]>;
    get(principal: Principal, app: string, id: string): Promise<BuildView>;
  };
  releases: {
    list(principal: Principal, app: string, options?: { limit?: number }): Promise<ReleaseView[]>;
    get(principal: Principal, app: string, version: number): Promise<ReleaseInfoView>;
    /** Default: the release before the live one. */
    rollback(principal: Principal, app: string, version?: number): Promise<ReleaseView>;
  };
  config: {
    get(principal: Principal, app: string): Promise<Record<string, string>>;
    /** `null` values unset keys. Makes a `config` release. */
    update(principal: Principal, app: string, changes: Record<string, string | null>): Promise<{ config: Record<string, string>; release: ReleaseView }>;
    clear(principal: Principal, app: string): Promise<{ config: Record<string, string>; release: ReleaseView }>;
  };
  tokens: {
    list(principal: Principal): Promise<TokenView[]>;
    /** Admin only. */
    create(principal: Principal, input: { name?: string; app?: string }): Promise<TokenView & { token: string }>;
    revoke(principal: Principal, id: string): Promise<void>;
  };
  keys: {
    list(principal: Principal, app: string): Promise<KeyView[]>;
    /** The secret is returned only here, with the AWS endpoint and region to use it with. */
    create(principal: Principal, app: string): Promise<KeyView & { secretAccessKey: string; endpointUrl: string; region: string }>;
    revoke(principal: Principal, app: string, id: string): Promise<void>;
  };
}
