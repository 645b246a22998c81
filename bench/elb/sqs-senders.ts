// SendMessageBatch from concurrent senders, in a worker thread: real producers are other
// processes, so the SDK's signing and serialising should not take turns with the server's own
// event loop in the bench process. Used by bench/queue.ts.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface SendersData {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  queueUrl: string;
  senders: number;
}

export interface SendJob {
  /** The first message's id; bodies are `{"i": first + k, "n": k}`. */
  first: number;
  count: number;
}

export interface SqsSenders {
  /** Sends `count` messages in batches of 10; resolves with the ms the worker took. */
  send(job: SendJob): Promise<number>;
  close(): Promise<void>;
}

/** Starts the worker and waits until its client is loaded, so a send times only sending. */
export async function startSqsSenders(data: SendersData): Promise<SqsSenders> {
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  const next = () =>
    new Promise<{ type: string; ms?: number; error?: string }>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      worker.once('error', onError);
      worker.once('message', (message) => {
        worker.off('error', onError);
        resolve(message);
      });
    });
  const ready = await next();
  if (ready.type !== 'ready') throw new Error(`sender worker did not start: ${JSON.stringify(ready)}`);
  return {
    async send(job) {
      const answer = next();
      worker.postMessage(job);
      const reply = await answer;
      if (reply.type !== 'sent') throw new Error(`sending failed: ${reply.error}`);
      return reply.ms ?? 0;
    },
    async close() {
      await worker.terminate();
    },
  };
}

async function serve(data: SendersData): Promise<void> {
  const port = parentPort;
  if (port === null) return;
  const sqs = new SQSClient({ endpoint: data.endpoint, region: data.region, credentials: data.credentials });
  port.on('message', async (job: SendJob) => {
    const started = performance.now();
    let next = 0;
    const sender = async () => {
      while (next < job.count) {
        const from = next;
        next = Math.min(job.count, next + 10);
        const entries = [];
        for (let k = from; k < next; k += 1) entries.push({ Id: String(k - from), MessageBody: JSON.stringify({ i: job.first + k, n: k }) });
        const reply = await sqs.send(new SendMessageBatchCommand({ QueueUrl: data.queueUrl, Entries: entries }));
        if ((reply.Failed ?? []).length > 0) throw new Error(`SendMessageBatch failed entries: ${JSON.stringify(reply.Failed)}`);
      }
    };
    try {
      await Promise.all(Array.from({ length: data.senders }, sender));
      port.postMessage({ type: 'sent', ms: performance.now() - started });
    } catch (error) {
      port.postMessage({ type: 'failed', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  });
  port.postMessage({ type: 'ready' });
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'queueUrl' in workerData) await serve(workerData as SendersData);
