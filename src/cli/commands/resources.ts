// `queues*`, `buckets*`, `objects*` and `schedules`: an app's queues, buckets and schedules.
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { ApiObject, ApiQueue } from '../../api/client.ts';
import { formatBytes, relativeTime, table } from '../format.ts';
import { EXIT, usageError } from '../output.ts';
import { type AppFlags, connect, dim, note, ok, out, printJson, type Run, targetApp, wholeNumber, withApp } from '../platform.ts';

function queueRows(queues: ApiQueue[]): string[][] {
  return queues.map((q) => [
    q.name,
    String(q.messages),
    String(q.inFlight),
    String(q.delayed),
    q.ageOfOldestMessageS > 0 ? `${Math.round(q.ageOfOldestMessageS)} s` : '—',
    `${q.visibilityTimeoutS} s`,
    q.deadLetterQueue === null ? '—' : `${q.deadLetterQueue} after ${q.maxReceiveCount}`,
  ]);
}

function objectRows(objects: ApiObject[]): string[][] {
  return objects.map((o) => [o.key, formatBytes(o.size), o.contentType, relativeTime(o.lastModified)]);
}

interface QueueFlags extends AppFlags {
  visibilityTimeout?: number;
  delay?: number;
  retention?: number;
  dlq?: string;
  maxReceiveCount?: number;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerResources(program: Command, run: Run): void {
  withApp(program.command('queues').description('list the queues with their message counts')).action((flags: AppFlags) =>
    run(async () => {
      const app = await targetApp(flags);
      const queues = await connect().queues.list(app);
      if (flags.json) printJson(queues);
      else if (queues.length === 0) out(`${app} has no queues yet: laambda queues:create NAME\n`);
      else out(table(['NAME', 'MESSAGES', 'IN FLIGHT', 'DELAYED', 'OLDEST', 'VISIBILITY', 'DEAD LETTERS'], queueRows(queues), { header: dim }));
      return EXIT.ok;
    }),
  );
  withApp(
    program
      .command('queues:create')
      .description('create a queue (optionally with a dead-letter queue)')
      .argument('<name>', 'the queue name (1-80 letters, digits, - and _)')
      .option('--visibility-timeout <seconds>', 'how long a received message stays hidden (default 30)', wholeNumber('the visibility timeout'))
      .option('--delay <seconds>', 'delay of every message (0-900)', wholeNumber('the delay'))
      .option('--retention <seconds>', 'how long messages are kept (60-1209600, default 4 days)', wholeNumber('the retention', 60))
      .option('--dlq <name>', 'a dead-letter queue (created when missing)')
      .option('--max-receive-count <n>', 'receives before a message moves to the dead-letter queue (default 5)', wholeNumber('the receive count', 1)),
  ).action((name: string, flags: QueueFlags) =>
    run(async () => {
      const app = await targetApp(flags);
      const queue = await connect().queues.create(app, name, {
        ...(flags.visibilityTimeout === undefined ? {} : { visibilityTimeoutS: flags.visibilityTimeout }),
        ...(flags.delay === undefined ? {} : { delayS: flags.delay }),
        ...(flags.retention === undefined ? {} : { retentionS: flags.retention }),
        ...(flags.dlq === undefined ? {} : { deadLetterQueue: flags.dlq }),
        ...(flags.maxReceiveCount === undefined ? {} : { maxReceiveCount: flags.maxReceiveCount }),
      });
      if (flags.json) printJson(queue);
      else out(ok(`created queue ${queue.name}\n  url: ${queue.url}\n  arn: ${queue.arn}`));
      return EXIT.ok;
    }),
  );
  withApp(
    program
      .command('queues:send')
      .description('send a message to a queue')
      .argument('<name>', 'the queue')
      .argument('<body>', 'the message body; - reads it from stdin')
      .option('--delay <seconds>', 'deliver after this many seconds (0-900; standard queues)', wholeNumber('the delay'))
      .option('--group <id>', 'FIFO queues: the message group (MessageGroupId)')
      .option('--dedup <id>', 'FIFO queues: the deduplication id, unless the queue deduplicates by content'),
  ).action((name: string, body: string, flags: AppFlags & { delay?: number; group?: string; dedup?: string }) =>
    run(async () => {
      const app = await targetApp(flags);
      const text = body === '-' ? await readStdin() : body;
      const sent = await connect().queues.send(app, name, {
        body: text,
        ...(flags.delay === undefined ? {} : { delayS: flags.delay }),
        ...(flags.group === undefined ? {} : { groupId: flags.group }),
        ...(flags.dedup === undefined ? {} : { deduplicationId: flags.dedup }),
      });
      if (flags.json) printJson(sent);
      else out(ok(`sent ${sent.messageId} to ${name}`));
      return EXIT.ok;
    }),
  );
  withApp(program.command('queues:purge').description('delete every message of a queue').argument('<name>', 'the queue')).action((name: string, flags: AppFlags) =>
    run(async () => {
      const app = await targetApp(flags);
      const result = await connect().queues.purge(app, name);
      if (flags.json) printJson(result);
      else out(ok(`purged ${result.purged} message${result.purged === 1 ? '' : 's'} from ${name}`));
      return EXIT.ok;
    }),
  );
  withApp(
    program.command('queues:redrive').description('move a dead-letter queue’s messages back to the queues they failed in').argument('<dlq>', 'the dead-letter queue'),
  ).action((name: string, flags: AppFlags) =>
    run(async () => {
      const app = await targetApp(flags);
      const result = await connect().queues.redrive(app, name);
      if (flags.json) printJson(result);
      else out(ok(`moved ${result.moved} message${result.moved === 1 ? '' : 's'} from ${name} back to their source queues`));
      return EXIT.ok;
    }),
  );
  withApp(program.command('buckets').description('list the buckets')).action((flags: AppFlags) =>
    run(async () => {
      const app = await targetApp(flags);
      const buckets = await connect().buckets.list(app);
      if (flags.json) printJson(buckets);
      else if (buckets.length === 0) out(`${app} has no buckets yet: laambda buckets:create NAME\n`);
      else out(table(['NAME', 'REGION', 'CREATED'], buckets.map((b) => [b.name, b.region, relativeTime(b.createdAt)]), { header: dim }));
      return EXIT.ok;
    }),
  );
  withApp(program.command('buckets:create').description('create a bucket').argument('<name>', 'the bucket name (3-63 lowercase letters, digits, . and -)')).action(
    (name: string, flags: AppFlags) =>
      run(async () => {
        const app = await targetApp(flags);
        const bucket = await connect().buckets.create(app, name);
        if (flags.json) printJson(bucket);
        else out(ok(`created bucket ${bucket.name}`));
        return EXIT.ok;
      }),
  );
  withApp(
    program.command('objects').description('list the objects of a bucket').argument('<bucket>', 'the bucket').option('--prefix <prefix>', 'only keys starting with this'),
  ).action((bucket: string, flags: AppFlags & { prefix?: string }) =>
    run(async () => {
      const app = await targetApp(flags);
      const objects = await connect().objects.list(app, bucket, flags.prefix);
      if (flags.json) printJson(objects);
      else if (objects.length === 0) out(`${bucket} has no objects${flags.prefix === undefined ? '' : ` under ${flags.prefix}`}.\n`);
      else out(table(['KEY', 'SIZE', 'TYPE', 'MODIFIED'], objectRows(objects), { header: dim }));
      return EXIT.ok;
    }),
  );
  withApp(
    program
      .command('objects:put')
      .description('upload a file as an object (bucket notifications fire as for an S3 upload)')
      .argument('<bucket>', 'the bucket')
      .argument('<key>', 'the object key, e.g. logs/2026/11/22.log')
      .argument('<file>', 'the file to upload; - reads stdin')
      .option('--content-type <type>', 'stored with the object', 'application/octet-stream'),
  ).action((bucket: string, key: string, file: string, flags: AppFlags & { contentType: string }) =>
    run(async () => {
      const app = await targetApp(flags);
      const size = file === '-' ? undefined : statSync(file).size;
      const stream = file === '-' ? process.stdin : createReadStream(file);
      if (size !== undefined && size > 8 * 1024 * 1024 && !flags.json) note(`uploading ${formatBytes(size)} to ${bucket}/${key}…\n`);
      const object = await connect().objects.put(app, bucket, key, Readable.toWeb(stream) as ReadableStream, flags.contentType);
      if (flags.json) printJson(object);
      else out(ok(`stored ${bucket}/${object.key} (${formatBytes(object.size)}, ETag ${object.eTag})`));
      return EXIT.ok;
    }),
  );
  program
    .command('objects:get')
    .description('download an object to a file or stdout')
    .argument('<bucket>', 'the bucket')
    .argument('<key>', 'the object key')
    .argument('[file]', 'where to write it; default stdout')
    .option('-a, --app <app>', 'the app (default: from the git remote named laambda)')
    .action((bucket: string, key: string, file: string | undefined, flags: AppFlags) =>
      run(async () => {
        const app = await targetApp(flags);
        const { body } = await connect().objects.get(app, bucket, key);
        if (body === null) throw usageError('ERR_OBJECT_NOT_FOUND', `${bucket}/${key} came back without a body`);
        const source = Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
        await pipeline(source, file === undefined || file === '-' ? process.stdout : createWriteStream(file));
        if (file !== undefined && file !== '-') note(`wrote ${bucket}/${key} to ${file}\n`);
        return EXIT.ok;
      }),
    );
  withApp(program.command('schedules').description('list the schedules with their next fire times (UTC)')).action((flags: AppFlags) =>
    run(async () => {
      const app = await targetApp(flags);
      const schedules = await connect().schedules.list(app);
      if (flags.json) printJson(schedules);
      else if (schedules.length === 0) out(`${app} has no schedules: add one with laambda event-sources:add FUNCTION "schedule:rate(5 minutes)"\n`);
      else
        out(
          table(
            ['FUNCTION', 'SCHEDULE', 'NEXT (UTC)', 'LAST'],
            schedules.map((s) => [s.function, s.enabled ? s.expression : `${s.expression} (disabled)`, s.nextFireAt ?? '—', s.lastFiredAt === null ? '—' : relativeTime(s.lastFiredAt)]),
            { header: dim },
          ),
        );
      return EXIT.ok;
    }),
  );
}
