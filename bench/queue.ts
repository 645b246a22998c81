// Queue → function throughput on `laambda server`: a worker subscribed to the queue `jobs` with
// batches of 10 (bench/fixtures/queue-worker), 20,000 messages sent with SendMessageBatch from
// concurrent senders (in a worker thread), timed from the first send until every message was reported processed by
// the function itself (one line per batch with its ids, over TCP to this process) and the queue
// says nothing is left (visible + in flight + delayed = 0). The bar: ≥ 2,000 messages/s.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { benchStep, startBenchPlatform } from './elb/platform.ts';
import { startReceiver } from './elb/receiver.ts';
import { startSqsSenders } from './elb/sqs-senders.ts';
import { round } from './stats.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WORKER = path.join(ROOT, 'bench', 'fixtures', 'queue-worker');
const SENDERS = 16;
const WAIT_MS = 120_000;

export interface QueueRound {
  messages: number;
  /** First send → last SendMessageBatch answered. */
  sendMs: number;
  /** First send → the function reported the last distinct message. */
  processedMs: number;
  /** First send → every message processed and the queue empty. */
  drainedMs: number;
  messagesPerSecond: number;
  /** Messages the function reported more than once (redeliveries). */
  duplicates: number;
  /** Invocations (one reported line each) and their mean batch size. */
  invocations: number;
  meanBatch: number;
}

export interface QueueBenchResult {
  batchSize: number;
  senders: number;
  deploy: { ms: number; dependencies: string };
  rounds: QueueRound[];
}


export async function runQueueBench(options: { rounds: number; messages: number; progress(step: string): void }): Promise<QueueBenchResult> {
  const total = options.rounds * options.messages;
  const seen = new Uint8Array(total);
  let distinct = 0;
  let deliveries = 0;
  let target = 0;
  let reached: ((at: number) => void) | undefined;
  const receiver = await startReceiver({
    onValue(value) {
      const ids = (value as { ids?: unknown }).ids;
      if (!Array.isArray(ids)) return;
      for (const id of ids) {
        if (typeof id !== 'number' || id < 0 || id >= total) continue;
        deliveries += 1;
        if (seen[id] === 0) {
          seen[id] = 1;
          distinct += 1;
        }
      }
      if (distinct >= target && reached !== undefined) {
        const done = reached;
        reached = undefined;
        done(performance.now());
      }
    },
  });
  const root = mkdtempSync(path.join(os.tmpdir(), 'laambda-queue-bench-'));
  const platform = await startBenchPlatform(root);
  const closers: Array<() => Promise<void>> = [];
  try {
    const key = await benchStep('queue bench', 'creating the app', () => platform.createApp('queue', { COUNTER_HOST: '127.0.0.1', COUNTER_PORT: String(receiver.port) }));
    const sqs = new SQSClient({
      endpoint: key.endpoint,
      region: key.region,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    });
    // 6 × the worker's 10 s timeout, as AWS requires of a queue mapped to a function.
    const queue = await benchStep('queue bench', 'CreateQueue on the SQS endpoint', () => sqs.send(new CreateQueueCommand({ QueueName: 'jobs', Attributes: { VisibilityTimeout: '60' } })));
    const queueUrl = queue.QueueUrl ?? '';
    options.progress('queue: deploying bench/fixtures/queue-worker');
    const deploy = await benchStep('queue bench', 'deploying bench/fixtures/queue-worker', () => platform.deploy('queue', WORKER));
    const senders = await startSqsSenders({
      endpoint: key.endpoint,
      region: key.region,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      queueUrl,
      senders: SENDERS,
    });
    closers.push(() => senders.close());

    const backlog = async () => {
      const reply = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      );
      const attributes = reply.Attributes ?? {};
      return (
        Number(attributes.ApproximateNumberOfMessages ?? 0) +
        Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
      );
    };

    const rounds: QueueRound[] = [];
    for (let r = 0; r < options.rounds; r += 1) {
      options.progress(`queue: round ${r + 1}/${options.rounds}: sending ${options.messages} messages from ${SENDERS} senders`);
      const first = r * options.messages;
      const linesBefore = receiver.counts().lines;
      const deliveriesBefore = deliveries;
      target = distinct + options.messages;
      const processed = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the function reported ${distinct - first} of ${options.messages} messages in ${WAIT_MS} ms`)), WAIT_MS);
        reached = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      });
      processed.catch(() => {});
      const started = performance.now();
      await benchStep('queue bench', 'sending messages', () => senders.send({ first, count: options.messages }));
      const sendMs = performance.now() - started;
      const processedAt = await benchStep('queue bench', 'waiting for the function to report every message', () => processed);
      const drainedAt = await benchStep('queue bench', 'waiting for the queue to be empty', async () => {
        const deadline = performance.now() + WAIT_MS;
        for (;;) {
          const left = await backlog();
          if (left === 0) return performance.now();
          if (performance.now() > deadline) throw new Error(`${left} messages still in the queue after every one was processed`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      });
      const invocations = receiver.counts().lines - linesBefore;
      const delivered = deliveries - deliveriesBefore;
      const drainedMs = drainedAt - started;
      rounds.push({
        messages: options.messages,
        sendMs: Math.round(sendMs),
        processedMs: Math.round(processedAt - started),
        drainedMs: Math.round(drainedMs),
        messagesPerSecond: Math.round(options.messages / (drainedMs / 1000)),
        duplicates: delivered - options.messages,
        invocations,
        meanBatch: round(delivered / Math.max(1, invocations), 2),
      });
      const done = rounds.at(-1);
      options.progress(`queue: round ${r + 1}: ${done?.messagesPerSecond} messages/s (sent in ${done?.sendMs} ms, drained at ${done?.drainedMs} ms)`);
    }
    return { batchSize: 10, senders: SENDERS, deploy, rounds };
  } finally {
    for (const close of closers) await close();
    await platform.close();
    await receiver.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export function queueChecks(result: QueueBenchResult) {
  const rates = result.rounds.map((r) => r.messagesPerSecond).sort((a, b) => a - b);
  const median = rates[Math.floor((rates.length - 1) / 2)] ?? 0;
  const duplicates = result.rounds.reduce((sum, r) => sum + r.duplicates, 0);
  return [
    {
      metric: 'queue → function, batch 10: messages/s, first send → all processed and queue empty (median)',
      value: median,
      unit: 'msg/s',
      target: '>= 2000 msg/s',
      pass: median >= 2000,
      note: `rounds: ${result.rounds.map((r) => `${r.messagesPerSecond}`).join(', ')} msg/s of ${result.rounds[0]?.messages} messages; ${duplicates} redelivered`,
    },
  ];
}
