// The event plane, wired the same way for `laambda dev` and `laambda server`: durable queues and
// buckets with their SQS and S3 endpoints, queue mappings, schedules, and the async dispatcher
// that bucket notifications, schedules, `Event` invokes and destinations all go through.
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { AwsAuthenticate } from './aws/auth.ts';
import { createS3Handler, type S3Handler } from './aws/s3/index.ts';
import { createSqsHandler, type SqsHandler } from './aws/sqs/index.ts';
import { type AsyncConfig, type Destination, type FunctionDefinition, httpRoutesOf } from './core/app.ts';
import type { AsyncInvocation, PlatformStorage } from './core/platform.ts';
import type { Clock, Logger } from './core/ports.ts';
import { createAsyncDispatcher, type AsyncDispatcher } from './events/async/index.ts';
import { BucketService } from './events/bucket/index.ts';
import { createQueueMappings, createQueueService, type QueueMappings, type QueueService } from './events/queue/index.ts';
import { EventSources, type SourceApp } from './events/runner.ts';
import { createScheduler, type Scheduler } from './events/schedule/scheduler.ts';
import type { InvokeRequest, InvokeResult } from './runtime/index.ts';
import { FsBlobStore } from './storage/index.ts';

export interface EventPlaneOptions {
  storage: PlatformStorage;
  /** Objects live in DATA/objects (apart from artifacts), spooled through DATA/objects-tmp. */
  dataDir: string;
  clock: Clock;
  logger: Logger;
  region: string;
  accountId: string;
  partition: string;
  authenticate: AwsAuthenticate;
  /** The AWS endpoint's URL, once its listener is bound (queue URLs name it). */
  awsUrl(): string;
  /**
   * Runs a function of an app: its live code, or `release` when given. Undefined when the app or
   * function is gone (its pending work is dropped).
   */
  invoke(appId: string, functionName: string, request: InvokeRequest, release?: number | null): Promise<InvokeResult | undefined>;
  /** The Lambda name of an app's function (`APP-FN` on the server). */
  lambdaName(appId: string, functionName: string): string;
  /** The function's `async` settings from its live release. */
  asyncConfig(appId: string, functionName: string): AsyncConfig | undefined;
  /** Delay before async retry n; default Lambda's 60 s, 120 s. */
  retryDelayMs?(retry: number): number;
}

export interface EventPlane {
  queues: QueueService;
  buckets: BucketService;
  mappings: QueueMappings;
  scheduler: Scheduler;
  dispatcher: AsyncDispatcher;
  sources: EventSources;
  sqs: SqsHandler;
  s3: S3Handler;
  queueUrl(name: string): string;
  /** Starts running what storage holds (pending async invocations of a previous run). */
  start(): void;
  /**
   * Removes object data no object or upload part names any more (a destroyed app's, or what a
   * crash left), and spooled uploads a crash left behind. Safe beside running uploads.
   */
  collectGarbage(): Promise<{ blobs: number }>;
  close(): Promise<void>;
}

/** The sources of an app's functions as the runners take them. */
export function sourceApp(appId: string, appName: string, functions: Iterable<{ definition: FunctionDefinition; timeoutS: number }>): SourceApp {
  return {
    appId,
    appName,
    functions: [...functions].map(({ definition, timeoutS }) => ({
      name: definition.name,
      timeoutS,
      events: definition.events ?? httpRoutesOf(definition),
      destinations: [definition.async?.onSuccess, definition.async?.onFailure].filter((d): d is Destination => d !== undefined),
    })),
  };
}

export function createEventPlane(options: EventPlaneOptions): EventPlane {
  const { storage, clock, logger, region, accountId } = options;
  // One server per data dir: spooled uploads here are a previous run's, cut off by a crash.
  rmSync(path.join(options.dataDir, 'objects-tmp'), { recursive: true, force: true });
  const queueUrl = (name: string) => `${options.awsUrl()}/${accountId}/${name}`;
  const queues = createQueueService({ store: storage.queues, region, accountId, clock, logger });
  let sources: EventSources | undefined;
  const objectBlobs = new FsBlobStore(path.join(options.dataDir, 'objects'));
  const spoolDir = path.join(options.dataDir, 'objects-tmp');
  const buckets = new BucketService({
    store: storage.buckets,
    blobs: objectBlobs,
    tmpDir: spoolDir,
    clock,
    region,
    logger,
    onEvent: (event) => sources?.onObjectEvent(event),
  });
  const mappings = createQueueMappings({
    service: queues,
    region,
    accountId,
    clock,
    logger,
    async invoke(appId, functionName, payload) {
      const result = await options.invoke(appId, functionName, { payload });
      if (result === undefined) throw new Error(`function ${functionName} is gone`);
      return { payload: result.payload, ...(result.error === undefined ? {} : { error: result.error }) };
    },
  });
  const functionArn = (invocation: AsyncInvocation) =>
    `arn:${options.partition}:lambda:${region}:${accountId}:function:${options.lambdaName(invocation.appId, invocation.functionName)}`;
  const dispatcher = createAsyncDispatcher({
    store: storage.invocations,
    logger,
    clock,
    ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
    async run(invocation) {
      const result = await options.invoke(invocation.appId, invocation.functionName, { payload: invocation.payload, requestId: invocation.id }, invocation.release);
      if (result === undefined) return undefined;
      return { failed: result.error !== undefined, payload: result.payload, executedVersion: result.executedVersion };
    },
    configFor: async (invocation) => options.asyncConfig(invocation.appId, invocation.functionName),
    deliver: async (destination, record, invocation) => sources?.deliver(invocation.appId, destination, record),
    functionArn,
  });
  const scheduler = createScheduler({
    store: storage.schedules,
    clock,
    region,
    accountId,
    logger,
    async fire(tick) {
      await dispatcher.enqueue({
        id: tick.id,
        appId: tick.appId,
        functionName: tick.functionName,
        release: null,
        payload: Buffer.from(JSON.stringify(tick.event)),
        attempts: 0,
        createdAt: tick.scheduledAt,
        source: 'schedule',
      });
    },
  });
  sources = new EventSources({
    queues,
    buckets,
    mappings,
    scheduler,
    region,
    logger,
    enqueue: (request) =>
      dispatcher.enqueue({ id: request.id, appId: request.appId, functionName: request.functionName, release: null, payload: request.payload, attempts: 0, createdAt: clock.now(), source: request.source }),
  });
  const sqs = createSqsHandler({ service: queues, authenticate: options.authenticate, region, accountId, queueUrl, logger });
  const s3 = createS3Handler({ service: buckets, authenticate: options.authenticate, region, logger });
  const eventSources = sources;
  return {
    queues,
    buckets,
    mappings,
    scheduler,
    dispatcher,
    sources: eventSources,
    sqs,
    s3,
    queueUrl,
    start: () => dispatcher.start(),
    async collectGarbage() {
      let blobs = 0;
      for await (const digest of objectBlobs.digests()) {
        // release() checks the references under the digest's lock, as deletes do.
        if (!(await storage.buckets.isDigestReferenced(digest))) {
          await buckets.data.release(digest);
          blobs += 1;
        }
      }
      return { blobs };
    },
    async close() {
      await scheduler.stop();
      await mappings.stop();
      await dispatcher.stop();
      queues.close();
    },
  };
}
