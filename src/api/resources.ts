// Queues, buckets, objects and schedules of an app: `queues*`, `buckets*`, `objects*`, `schedules`.
// Object keys may hold slashes, so they travel in the query (`?key=`), never in the path.
import { Readable } from 'node:stream';
import { z } from 'zod';
import { AppParams, appName } from './params.ts';
import { route, type Route } from './route.ts';
import { BucketInfo, ObjectInfo, QueueInfo, ScheduleInfo } from './schemas.ts';
import { isoTime, isoTimeOrNull } from './views.ts';
import type { BucketView, ObjectView, QueueView, ScheduleView } from '../core/services.ts';

const QueueParams = z.object({ app: appName, queue: z.string().min(1) });
const BucketParams = z.object({ app: appName, bucket: z.string().min(1) });
const CreateQueue = z.strictObject({
  name: z.string().min(1),
  visibilityTimeoutS: z.int().optional(),
  delayS: z.int().optional(),
  retentionS: z.int().optional(),
  deadLetterQueue: z.string().min(1).optional().describe('A DLQ (created when missing) for messages received maxReceiveCount times.'),
  maxReceiveCount: z.int().min(1).max(1000).optional(),
});
const SendMessage = z.strictObject({
  body: z.string(),
  delayS: z.int().min(0).max(900).optional(),
  groupId: z.string().min(1).max(128).optional().describe('FIFO queues: the MessageGroupId (required there).'),
  deduplicationId: z.string().min(1).max(128).optional().describe('FIFO queues: the MessageDeduplicationId, unless the queue deduplicates by content.'),
});
const CreateBucket = z.strictObject({ name: z.string().min(1) });
const ObjectQuery = z.object({ key: z.string().min(1) });
const ListObjectsQuery = z.object({ prefix: z.string().optional() });

const queueJson = (queue: QueueView) => ({ ...queue, createdAt: isoTime(queue.createdAt) });
const bucketJson = (bucket: BucketView) => ({ ...bucket, createdAt: isoTime(bucket.createdAt) });
const objectJson = (object: ObjectView) => ({ ...object, lastModified: isoTime(object.lastModified) });
const scheduleJson = (schedule: ScheduleView) => ({
  ...schedule,
  nextFireAt: isoTimeOrNull(schedule.nextFireAt),
  lastFiredAt: isoTimeOrNull(schedule.lastFiredAt),
});

export const resourceRoutes: Route[] = [
  route(
    { id: 'queues.list', method: 'GET', path: '/apps/{app}/queues', summary: 'Queues of the app with their message counts', tag: 'queues', params: AppParams, status: 200, response: z.array(QueueInfo) },
    async ({ services, principal, params }) => (await services.queues.list(principal, params.app)).map(queueJson),
  ),
  route(
    { id: 'queues.create', method: 'POST', path: '/apps/{app}/queues', summary: 'Create a queue (the same settings again: no change)', tag: 'queues', params: AppParams, body: CreateQueue, status: 201, response: QueueInfo },
    async ({ services, principal, params, body }) => {
      const { name, ...settings } = body;
      return queueJson(await services.queues.create(principal, params.app, name, settings));
    },
  ),
  route(
    { id: 'queues.remove', method: 'DELETE', path: '/apps/{app}/queues/{queue}', summary: 'Delete a queue and its messages', tag: 'queues', params: QueueParams, status: 204 },
    async ({ services, principal, params }) => {
      await services.queues.remove(principal, params.app, params.queue);
    },
  ),
  route(
    {
      id: 'queues.send',
      method: 'POST',
      path: '/apps/{app}/queues/{queue}/messages',
      summary: 'Send one message',
      tag: 'queues',
      params: QueueParams,
      body: SendMessage,
      status: 201,
      response: z.object({ messageId: z.string() }),
    },
    async ({ services, principal, params, body }) => services.queues.send(principal, params.app, params.queue, body),
  ),
  route(
    {
      id: 'queues.purge',
      method: 'POST',
      path: '/apps/{app}/queues/{queue}/purge',
      summary: 'Delete every message of a queue',
      tag: 'queues',
      params: QueueParams,
      status: 200,
      response: z.object({ purged: z.int() }),
    },
    async ({ services, principal, params }) => services.queues.purge(principal, params.app, params.queue),
  ),
  route(
    {
      id: 'queues.redrive',
      method: 'POST',
      path: '/apps/{app}/queues/{queue}/redrive',
      summary: 'Move a dead-letter queue’s messages back to their source queues',
      tag: 'queues',
      params: QueueParams,
      status: 200,
      response: z.object({ moved: z.int() }),
    },
    async ({ services, principal, params }) => services.queues.redrive(principal, params.app, params.queue),
  ),
  route(
    { id: 'buckets.list', method: 'GET', path: '/apps/{app}/buckets', summary: 'Buckets of the app', tag: 'buckets', params: AppParams, status: 200, response: z.array(BucketInfo) },
    async ({ services, principal, params }) => (await services.buckets.list(principal, params.app)).map(bucketJson),
  ),
  route(
    { id: 'buckets.create', method: 'POST', path: '/apps/{app}/buckets', summary: 'Create a bucket', tag: 'buckets', params: AppParams, body: CreateBucket, status: 201, response: BucketInfo },
    async ({ services, principal, params, body }) => bucketJson(await services.buckets.create(principal, params.app, body.name)),
  ),
  route(
    { id: 'buckets.remove', method: 'DELETE', path: '/apps/{app}/buckets/{bucket}', summary: 'Delete an empty bucket', tag: 'buckets', params: BucketParams, status: 204 },
    async ({ services, principal, params }) => {
      await services.buckets.remove(principal, params.app, params.bucket);
    },
  ),
  route(
    {
      id: 'objects.list',
      method: 'GET',
      path: '/apps/{app}/buckets/{bucket}/objects',
      summary: 'Objects of a bucket (up to 10,000), optionally under a prefix',
      tag: 'buckets',
      params: BucketParams,
      query: ListObjectsQuery,
      status: 200,
      response: z.array(ObjectInfo),
    },
    async ({ services, principal, params, query }) =>
      (await services.objects.list(principal, params.app, params.bucket, query.prefix === undefined ? {} : { prefix: query.prefix })).map(objectJson),
  ),
  route(
    {
      id: 'objects.put',
      method: 'POST',
      path: '/apps/{app}/buckets/{bucket}/objects',
      summary: 'Store the body as object ?key= (notifications fire as for an S3 PutObject)',
      tag: 'buckets',
      params: BucketParams,
      query: ObjectQuery,
      rawBody: { mediaTypes: ['*/*'], description: 'The object bytes; Content-Type is stored with them.' },
      status: 201,
      response: ObjectInfo,
    },
    async ({ services, principal, params, query, request }) => {
      const body = request.body === null ? Readable.from([]) : Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>);
      const type = request.headers.get('content-type') ?? undefined;
      return objectJson(await services.objects.put(principal, params.app, params.bucket, query.key, body, type));
    },
  ),
  route(
    {
      id: 'objects.get',
      method: 'GET',
      path: '/apps/{app}/buckets/{bucket}/object',
      summary: 'The bytes of object ?key=',
      tag: 'buckets',
      params: BucketParams,
      query: ObjectQuery,
      status: 200,
      mediaType: 'application/octet-stream',
    },
    async ({ services, principal, params, query }) => {
      const { object, body } = await services.objects.get(principal, params.app, params.bucket, query.key);
      return new Response(Readable.toWeb(body as Readable) as ReadableStream, {
        status: 200,
        headers: { 'content-type': object.contentType, 'content-length': String(object.size), etag: object.eTag },
      });
    },
  ),
  route(
    { id: 'schedules.list', method: 'GET', path: '/apps/{app}/schedules', summary: 'Schedules of the live release with their next fire times', tag: 'schedules', params: AppParams, status: 200, response: z.array(ScheduleInfo) },
    async ({ services, principal, params }) => (await services.schedules.list(principal, params.app)).map(scheduleJson),
  ),
];
