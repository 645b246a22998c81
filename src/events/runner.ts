// What turns an app's declared sources into running ones, the same way for `dev` and `server`:
// queue sources become polling mappings, schedules become timers, bucket sources become
// notification routes, and every async path (notifications, schedules, destinations) goes through
// the durable async dispatcher. `apply` is called whenever an app's live release changes.
import { randomUUID } from 'node:crypto';
import type { BucketEventSource, EventSource, QueueEventSource, ScheduleEventSource } from '../core/app.ts';
import type { Destination } from '../core/app.ts';
import { isLaambdaError } from '../core/errors.ts';
import { isFifoName } from '../core/queues.ts';
import type { Logger } from '../core/ports.ts';
import { matchesSource, s3Event } from './bucket/notifications.ts';
import type { BucketService } from './bucket/service.ts';
import type { ObjectEvent } from './bucket/types.ts';
import type { QueueMappings } from './queue/mapping.ts';
import type { QueueService } from './queue/service.ts';
import type { Scheduler } from './schedule/scheduler.ts';

export interface SourceFunction {
  /** Procfile name. */
  name: string;
  timeoutS: number;
  events: EventSource[];
  /** Async destinations; queues named there exist from the release on. */
  destinations?: Destination[];
}

export interface SourceApp {
  appId: string;
  appName: string;
  functions: SourceFunction[];
}

/** An async invocation to accept durably (the dispatcher runs it). */
export interface AsyncRequest {
  id: string;
  appId: string;
  functionName: string;
  payload: Buffer;
  source: string;
}

export interface EventSourcesOptions {
  queues: QueueService;
  buckets: BucketService;
  mappings: QueueMappings;
  scheduler: Scheduler;
  /** Accepts an async invocation durably; false when its id was seen before. */
  enqueue(request: AsyncRequest): Promise<boolean>;
  region: string;
  logger: Logger;
}

interface BucketRoute {
  functionName: string;
  source: BucketEventSource;
}

/** Lambda's advice: a queue's visibility timeout of six times the function timeout. */
function visibilityFor(timeoutS: number): number {
  return Math.min(43_200, Math.max(30, timeoutS * 6));
}

export class EventSources {
  readonly #options: EventSourcesOptions;
  readonly #bucketRoutes = new Map<string, BucketRoute[]>();
  readonly #problems = new Map<string, string>();

  constructor(options: EventSourcesOptions) {
    this.#options = options;
  }

  /** Makes the app's sources the running ones: creates missing queues and buckets, starts and stops mappings and schedules. */
  async apply(app: SourceApp): Promise<void> {
    const { buckets, mappings, scheduler, logger } = this.#options;
    const queueMappings: Array<{ functionName: string; functionTimeoutS: number; source: QueueEventSource }> = [];
    const schedules: Array<{ functionName: string; source: ScheduleEventSource }> = [];
    const routes: BucketRoute[] = [];
    for (const fn of app.functions) {
      for (const source of fn.events) {
        if (source.kind === 'queue') queueMappings.push({ functionName: fn.name, functionTimeoutS: fn.timeoutS, source });
        else if (source.kind === 'schedule') schedules.push({ functionName: fn.name, source });
        else if (source.kind === 'bucket') routes.push({ functionName: fn.name, source });
      }
    }
    for (const key of [...this.#problems.keys()]) if (key.startsWith(`${app.appId}:`)) this.#problems.delete(key);
    // A declared queue or bucket exists from the release on, as a SAM template's resources do.
    for (const mapping of queueMappings) await this.#ensureQueue(app, mapping.source.queue, visibilityFor(mapping.functionTimeoutS));
    const destinationQueues = new Set(app.functions.flatMap((fn) => (fn.destinations ?? []).filter((d) => d.kind === 'queue').map((d) => d.name)));
    for (const name of destinationQueues) await this.#ensureQueue(app, name);
    for (const route of routes) {
      await this.#ensure(app, `bucket:${route.source.bucket}`, async () => {
        const caller = { appId: app.appId };
        await buckets.headBucket(caller, route.source.bucket).catch(async (error: unknown) => {
          if (!isLaambdaError(error) || error.code !== 'ERR_BUCKET_NOT_FOUND') throw error;
          await buckets.createBucket(caller, route.source.bucket);
          logger.debug({ app: app.appName, bucket: route.source.bucket }, 'bucket created for a declared source');
        });
      });
    }
    this.#bucketRoutes.set(app.appId, routes);
    await mappings.sync(app.appId, queueMappings);
    await scheduler.sync(app.appId, app.appName, schedules);
  }

  /** The app is gone: nothing of it runs any more. */
  async remove(appId: string): Promise<void> {
    this.#bucketRoutes.delete(appId);
    await this.#options.mappings.sync(appId, []);
    await this.#options.scheduler.sync(appId, '', []);
  }

  /** An object changed: every matching bucket source gets the S3 event, asynchronously. */
  async onObjectEvent(event: ObjectEvent): Promise<void> {
    const routes = this.#bucketRoutes.get(event.appId) ?? [];
    for (const route of routes) {
      if (route.source.bucket !== event.bucket || !matchesSource(route.source, event)) continue;
      const payload = Buffer.from(JSON.stringify(s3Event([event], { region: this.#options.region })));
      await this.#options.enqueue({ id: randomUUID(), appId: event.appId, functionName: route.functionName, payload, source: 'bucket' });
    }
  }

  /** Sends an async invocation record to its destination. */
  async deliver(appId: string, destination: Destination, record: unknown): Promise<void> {
    const body = JSON.stringify(record);
    if (destination.kind === 'queue') {
      const [result] = await this.#options.queues.send(appId, destination.name, [{ body }]);
      if (result !== undefined && !result.ok) throw result.error;
      return;
    }
    await this.#options.enqueue({ id: randomUUID(), appId, functionName: destination.name, payload: Buffer.from(body), source: 'destination' });
  }

  /** How a source runs now, for `event-sources`. */
  status(appId: string, fn: string, source: EventSource): string | null {
    if (source.kind === 'http') return null;
    const problem = this.#problems.get(`${appId}:${source.kind}:${source.kind === 'queue' ? source.queue : source.kind === 'bucket' ? source.bucket : ''}`);
    if (problem !== undefined) return problem;
    if (source.kind === 'schedule') {
      if (!source.enabled) return 'disabled';
      const upcoming = this.#options.scheduler.upcoming(appId).find((s) => s.functionName === fn && s.expression === source.expression);
      return upcoming?.nextFireAt === undefined ? 'no more ticks' : `next ${new Date(upcoming.nextFireAt).toISOString()}`;
    }
    if (source.kind === 'queue') {
      if (!source.enabled) return 'disabled';
      const mapping = this.#options.mappings.status(appId).find((m) => m.functionName === fn && m.queue === source.queue);
      if (mapping === undefined) return 'starting';
      return mapping.state === 'invalid' && mapping.lastError !== undefined ? `invalid: ${mapping.lastError}` : mapping.state;
    }
    return 'enabled';
  }

  async #ensureQueue(app: SourceApp, name: string, visibilityTimeoutS?: number): Promise<void> {
    const { queues, logger } = this.#options;
    await this.#ensure(app, `queue:${name}`, async () => {
      await queues.getQueue(app.appId, name).catch(async (error: unknown) => {
        if (!isLaambdaError(error) || error.code !== 'ERR_QUEUE_NOT_FOUND') throw error;
        await queues.createQueue(app.appId, name, {
          ...(visibilityTimeoutS === undefined ? {} : { visibilityTimeoutS }),
          ...(isFifoName(name) ? { fifoQueue: true } : {}),
        });
        logger.debug({ app: app.appName, queue: name }, 'queue created for a declared source');
      });
    });
  }

  async #ensure(app: SourceApp, what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#problems.set(`${app.appId}:${what}`, `failed: ${message}`);
      this.#options.logger.warn({ app: app.appName, source: what, err: error }, 'event source could not be prepared');
    }
  }
}
