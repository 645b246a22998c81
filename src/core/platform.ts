// The platform's model (apps, builds, releases, tokens, access keys) and the storage ports it
// is kept behind. Adapters live in src/storage; services in src/deploy and src/api use only these.
import type { EventSource } from './app.ts';

/** An app: the unit of deploy, config, releases and access. */
export interface App {
  id: string;
  /** Lower-case letters, digits and dashes; part of hostnames (`NAME.localhost`) and function names. */
  name: string;
  /** A custom domain the gateway also serves the app on. */
  domain: string | null;
  createdAt: number;
}

/** Per-function settings set with `resource:*`; they override laambda.json and the defaults. */
export interface FunctionOverrides {
  memoryMB?: number;
  timeoutS?: number;
  concurrency?: number;
  /** Set with `event-sources:*`: replaces the function's declared `events` (routes included). */
  events?: EventSource[];
}

export type ReleaseKind = 'deploy' | 'config' | 'resource' | 'sources' | 'rollback';

/** An immutable release `vN` of an app. */
export interface Release {
  appId: string;
  version: number;
  kind: ReleaseKind;
  description: string;
  author: string;
  createdAt: number;
  /** sha256 of the code artifact (zip); null before the first deploy. */
  artifact: string | null;
  /** The build that made the artifact (null for releases that carry earlier code). */
  buildId: string | null;
  /**
   * The app definition read from the artifact's Procfile and laambda.json, as JSON
   * (an AppDefinition without `dir`); null before the first deploy.
   */
  definition: string | null;
  /** The app config, encrypted (see src/deploy/secrets.ts); never plain text. */
  config: string;
  /** Overrides by Procfile function name. */
  overrides: Record<string, FunctionOverrides>;
}

export type ReleaseDraft = Omit<Release, 'version' | 'createdAt' | 'appId'>;

export type BuildStatus = 'running' | 'succeeded' | 'failed';

export interface Build {
  id: string;
  appId: string;
  status: BuildStatus;
  /** Where the code came from: `deploy` (tarball upload) or `git` (push). */
  source: string;
  /** The git commit for pushes. */
  revision: string | null;
  author: string;
  artifact: string | null;
  /** The release the build made, once it succeeded. */
  release: number | null;
  /** `CODE: message` of the failure. */
  error: string | null;
  /** The build's output, kept once it finished. */
  output: string;
  startedAt: number;
  finishedAt: number | null;
}

/** An API token; only its sha256 is stored. `appId` null means an admin token. */
export interface Token {
  id: string;
  name: string;
  appId: string | null;
  hash: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** An AWS access key of one app, for SigV4 on the aws listener. */
export interface AccessKey {
  /** `AKIA…`-shaped id. */
  id: string;
  appId: string;
  /** The secret, encrypted (it must be recoverable to check signatures). */
  secret: string;
  createdAt: number;
}

/** An `Event` invocation accepted and waiting to run. */
export interface AsyncInvocation {
  /** The request id; Lambda dedups async requests by it, and so does the store. */
  id: string;
  appId: string;
  /** Procfile function name. */
  functionName: string;
  /** Release to run; null means the live one when it runs. */
  release: number | null;
  payload: Buffer;
  /** Attempts made so far (failed ones; a success removes the invocation). */
  attempts: number;
  /** When it was accepted (ms): the event's age counts from here. */
  createdAt: number;
  /** When it may run next (ms); a retry waits out its back-off here, so it survives a restart. */
  nextAttemptAt: number;
  /** What queued it, for logs: 'invoke', 'bucket', 'schedule', 'destination', … */
  source: string;
}

/** A new invocation: `nextAttemptAt` defaults to `createdAt`, `source` to 'invoke'. */
export type AsyncInvocationDraft = Omit<AsyncInvocation, 'nextAttemptAt' | 'source'> & Partial<Pick<AsyncInvocation, 'nextAttemptAt' | 'source'>>;

export interface AppStore {
  /** Throws ERR_APP_EXISTS when the name is taken. */
  create(app: Omit<App, 'id' | 'createdAt'>): Promise<App>;
  get(name: string): Promise<App | undefined>;
  getById(id: string): Promise<App | undefined>;
  /** The app serving a custom domain. */
  getByDomain(domain: string): Promise<App | undefined>;
  list(): Promise<App[]>;
  /** Removes the app and everything of it (releases, builds, tokens, keys, invocations). */
  remove(id: string): Promise<void>;
}

export interface ReleaseStore {
  /** Appends the next version atomically (v1 first); concurrent appends never share a version. */
  append(appId: string, draft: ReleaseDraft, createdAt: number): Promise<Release>;
  latest(appId: string): Promise<Release | undefined>;
  get(appId: string, version: number): Promise<Release | undefined>;
  /** Newest first. */
  list(appId: string, options?: { limit?: number }): Promise<Release[]>;
}

export interface BuildStore {
  create(build: Pick<Build, 'appId' | 'source' | 'revision' | 'author' | 'startedAt'>): Promise<Build>;
  finish(id: string, result: Pick<Build, 'status' | 'artifact' | 'release' | 'error' | 'output' | 'finishedAt'>): Promise<void>;
  get(id: string): Promise<Build | undefined>;
  /** Newest first. */
  list(appId: string, options?: { limit?: number }): Promise<Build[]>;
  /** Builds left `running` by a server that stopped: marks them failed (on start). */
  failUnfinished(error: string, finishedAt: number): Promise<number>;
}

export interface TokenStore {
  create(token: Omit<Token, 'id' | 'lastUsedAt'>): Promise<Token>;
  findByHash(hash: string): Promise<Token | undefined>;
  /** All tokens, or those of one app. */
  list(appId?: string): Promise<Token[]>;
  remove(id: string): Promise<boolean>;
  touch(id: string, at: number): Promise<void>;
  count(): Promise<number>;
}

export interface AccessKeyStore {
  create(key: AccessKey): Promise<AccessKey>;
  get(id: string): Promise<AccessKey | undefined>;
  list(appId: string): Promise<AccessKey[]>;
  remove(id: string): Promise<boolean>;
}

export interface AsyncInvocationStore {
  /** Stores a new invocation; an id already stored is ignored. Resolves true when it was new. */
  enqueue(invocation: AsyncInvocationDraft): Promise<boolean>;
  /** Oldest first (by createdAt); with `now`, only those due by then (nextAttemptAt <= now). */
  pending(limit: number, now?: number): Promise<AsyncInvocation[]>;
  /** The earliest nextAttemptAt after `now`, if any: when the dispatcher must look again. */
  nextDue(now: number): Promise<number | undefined>;
  remove(id: string): Promise<void>;
  /** Counts a failed attempt; with `nextAttemptAt`, also defers the next one until then. */
  recordAttempt(id: string, nextAttemptAt?: number): Promise<void>;
}

/** Content-addressed blobs (artifacts): stored once by sha256. */
export interface BlobStore {
  /** Moves a finished file into the store (the file is consumed); returns its sha256 and size. */
  putFile(file: string): Promise<{ digest: string; size: number }>;
  has(digest: string): Promise<boolean>;
  /** A local path to read the blob from (the filesystem adapter's own file). */
  localPath(digest: string): Promise<string>;
  remove(digest: string): Promise<void>;
}

import type { BucketStore } from './buckets.ts';
import type { QueueStore } from './queues.ts';
import type { DrainStore } from './drains.ts';
import type { LogStore } from './logs.ts';
import type { MetricStore } from './metrics.ts';
import type { ScheduleStore } from './schedules.ts';

/** Everything the platform keeps, behind ports. */
export interface PlatformStorage {
  apps: AppStore;
  releases: ReleaseStore;
  builds: BuildStore;
  tokens: TokenStore;
  keys: AccessKeyStore;
  invocations: AsyncInvocationStore;
  queues: QueueStore;
  buckets: BucketStore;
  schedules: ScheduleStore;
  logs: LogStore;
  drains: DrainStore;
  metrics: MetricStore;
  blobs: BlobStore;
  close(): Promise<void>;
}
