// Queues, buckets, objects and schedules of an app as the control API shows them: the same
// services the S3 and SQS endpoints use, seen through an API token instead of an access key.
import { Readable } from 'node:stream';
import { LaambdaError } from '../../core/errors.ts';
import { isFifoName, type Queue } from '../../core/queues.ts';
import type { StoredObject } from '../../core/buckets.ts';
import type { ObjectView, PlatformServices, QueueView } from '../../core/services.ts';
import { isBucketError } from '../../events/bucket/errors.ts';
import type { BucketService } from '../../events/bucket/service.ts';
import type { QueueService } from '../../events/queue/service.ts';
import type { Scheduler } from '../../events/schedule/scheduler.ts';
import type { ServiceContext } from './context.ts';

/** The event services the API reaches into. */
export interface EventServices {
  queues: QueueService;
  buckets: BucketService;
  scheduler: Scheduler;
  /** The SQS QueueUrl of a queue name on the AWS endpoint. */
  queueUrl(name: string): string;
}

function objectView(object: StoredObject): ObjectView {
  return { key: object.key, size: object.size, eTag: object.eTag, contentType: object.contentType, lastModified: object.lastModified };
}

type Services = Pick<PlatformServices, 'queues' | 'buckets' | 'objects' | 'schedules'>;

export function resourceServices(context: ServiceContext): Services {
  const events = (): EventServices => {
    const found = context.deps.events;
    if (found === undefined) throw new LaambdaError('ERR_PLATFORM_INTERNAL', 'this server runs without event services');
    return found;
  };

  async function queueView(appId: string, queue: Queue): Promise<QueueView> {
    const { queues, queueUrl } = events();
    const stats = await queues.stats(appId, queue.name);
    const policy = queue.attributes.redrivePolicy;
    return {
      name: queue.name,
      arn: queues.arn(queue.name),
      url: queueUrl(queue.name),
      visibilityTimeoutS: queue.attributes.visibilityTimeoutS,
      delayS: queue.attributes.delayS,
      retentionS: queue.attributes.retentionS,
      deadLetterQueue: policy === undefined ? null : (policy.deadLetterTargetArn.split(':').pop() ?? null),
      maxReceiveCount: policy?.maxReceiveCount ?? null,
      messages: stats.visible,
      inFlight: stats.inFlight,
      delayed: stats.delayed,
      ageOfOldestMessageS: stats.ageOfOldestMessageS,
      createdAt: queue.createdAt,
    };
  }

  return {
    queues: {
      async list(principal, appName) {
        const app = await context.app(principal, appName);
        const views: QueueView[] = [];
        let nextToken: string | undefined;
        do {
          const page = await events().queues.listQueues(app.id, { max: 1000, ...(nextToken === undefined ? {} : { nextToken }) });
          for (const queue of page.queues) views.push(await queueView(app.id, queue));
          nextToken = page.nextToken;
        } while (nextToken !== undefined);
        return views;
      },
      async create(principal, appName, name, settings) {
        const app = await context.app(principal, appName);
        const { queues } = events();
        if (settings.maxReceiveCount !== undefined && settings.deadLetterQueue === undefined) {
          throw new LaambdaError('ERR_QUEUE_INVALID', 'a max receive count needs a dead-letter queue to move messages to: name it with --dlq');
        }
        const fifo = (queueName: string) => (isFifoName(queueName) ? { fifoQueue: true } : {});
        if (settings.deadLetterQueue !== undefined) {
          const dlq = settings.deadLetterQueue;
          await queues.getQueue(app.id, dlq).catch(() => queues.createQueue(app.id, dlq, fifo(dlq)));
        }
        const queue = await queues.createQueue(app.id, name, {
          ...fifo(name),
          ...(settings.visibilityTimeoutS === undefined ? {} : { visibilityTimeoutS: settings.visibilityTimeoutS }),
          ...(settings.delayS === undefined ? {} : { delayS: settings.delayS }),
          ...(settings.retentionS === undefined ? {} : { retentionS: settings.retentionS }),
          ...(settings.deadLetterQueue === undefined
            ? {}
            : { redrivePolicy: { deadLetterTargetArn: queues.arn(settings.deadLetterQueue), maxReceiveCount: settings.maxReceiveCount ?? 5 } }),
        });
        return queueView(app.id, queue);
      },
      async remove(principal, appName, name) {
        const app = await context.app(principal, appName);
        await events().queues.deleteQueue(app.id, name);
      },
      async send(principal, appName, name, message) {
        const app = await context.app(principal, appName);
        const entry = {
          body: message.body,
          ...(message.delayS === undefined ? {} : { delayS: message.delayS }),
          ...(message.groupId === undefined ? {} : { groupId: message.groupId }),
          ...(message.deduplicationId === undefined ? {} : { deduplicationId: message.deduplicationId }),
        };
        const [result] = await events().queues.send(app.id, name, [entry], {
          senderId: principal.name,
        });
        if (result === undefined) throw new LaambdaError('ERR_PLATFORM_INTERNAL', 'the queue answered no result for one message');
        if (!result.ok) throw result.error;
        return { messageId: result.messageId };
      },
      async purge(principal, appName, name) {
        const app = await context.app(principal, appName);
        return { purged: await events().queues.purge(app.id, name) };
      },
      async redrive(principal, appName, name) {
        const app = await context.app(principal, appName);
        const { queues } = events();
        if ((await queues.deadLetterSources(app.id, name)).length === 0) {
          await queues.getQueue(app.id, name);
          throw new LaambdaError('ERR_QUEUE_INVALID', `${name} is not the dead-letter queue of any queue, so there is nowhere to move its messages back to`);
        }
        return queues.redrive(app.id, name);
      },
    },
    buckets: {
      async list(principal, appName) {
        const app = await context.app(principal, appName);
        const buckets = await events().buckets.listBuckets({ appId: app.id });
        return buckets.map((bucket) => ({ name: bucket.name, region: bucket.region, createdAt: bucket.createdAt }));
      },
      async create(principal, appName, name) {
        const app = await context.app(principal, appName);
        const { buckets } = events();
        // Creating a bucket the app already has is no change (as queues:create with the same settings).
        const bucket = await buckets.createBucket({ appId: app.id }, name).catch(async (error: unknown) => {
          if (isBucketError(error) && error.s3Code === 'BucketAlreadyOwnedByYou') return buckets.headBucket({ appId: app.id }, name);
          throw error;
        });
        return { name: bucket.name, region: bucket.region, createdAt: bucket.createdAt };
      },
      async remove(principal, appName, name) {
        const app = await context.app(principal, appName);
        await events().buckets.deleteBucket({ appId: app.id }, name);
      },
    },
    objects: {
      async list(principal, appName, bucket, options = {}) {
        const app = await context.app(principal, appName);
        const views: ObjectView[] = [];
        let token: string | undefined;
        do {
          const page = await events().buckets.listObjectsV2({ appId: app.id }, bucket, {
            ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
            ...(token === undefined ? {} : { continuationToken: token }),
          });
          views.push(...page.contents.map(objectView));
          token = page.isTruncated ? page.nextContinuationToken : undefined;
        } while (token !== undefined && views.length < 10_000);
        return views;
      },
      async put(principal, appName, bucket, key, body, contentType) {
        const app = await context.app(principal, appName);
        const readable = body instanceof Readable ? body : Readable.from(body as AsyncIterable<Uint8Array>);
        const { buckets } = events();
        await buckets.putObject({ appId: app.id }, bucket, key, readable, contentType === undefined ? {} : { contentType });
        return objectView(await buckets.headObject({ appId: app.id }, bucket, key));
      },
      async get(principal, appName, bucket, key) {
        const app = await context.app(principal, appName);
        const read = await events().buckets.getObject({ appId: app.id }, bucket, key);
        return { object: objectView(read.object), body: await read.open() };
      },
    },
    schedules: {
      async list(principal, appName) {
        const app = await context.app(principal, appName);
        return events()
          .scheduler.upcoming(app.id)
          .map((s) => ({ function: s.functionName, expression: s.expression, enabled: s.enabled, nextFireAt: s.nextFireAt ?? null, lastFiredAt: s.lastFiredAt ?? null }));
      },
    },
  };
}
