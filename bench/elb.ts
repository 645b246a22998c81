// The ELB story end to end on `laambda server`: a 76,464-line Classic ELB access log uploaded to
// a bucket with @aws-sdk/lib-storage; the bucket notification invokes examples/elb-logs-processor,
// which streams the object back, parses every line and sends it to a logstash-like JSON-lines
// listener over a pool of TCP connections. Timed from the start of the upload to the last line
// at the listener. The bar: every line arrives, upload → last line ≤ 5 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { STORY_LINES, writeElbLog } from './elb/generator.ts';
import { benchStep, startBenchPlatform } from './elb/platform.ts';
import { startReceiver } from './elb/receiver.ts';
import { type Summary, summarize } from './stats.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'elb-logs-processor');
const BUCKET = 'elb-logs';
const WAIT_MS = 60_000;

export interface ElbRun {
  key: string;
  uploadMs: number;
  /** Upload start → the listener's last line. */
  lastLineMs: number;
  linesReceived: number;
  badLines: number;
  connections: number;
  /** The function's own summary line, when it logged one. */
  summary: Record<string, unknown> | null;
}

export interface ElbBenchResult {
  file: { lines: number; bytes: number; generateMs: number };
  deploy: { ms: number; dependencies: string };
  pool: number;
  runs: ElbRun[];
  uploadToLastLine: Summary;
  upload: Summary;
}

export interface ElbBenchOptions {
  repeats: number;
  lines?: number;
  progress(step: string): void;
}


function summaryOf(line: string): Record<string, unknown> | null {
  const start = line.indexOf('{"objects"');
  if (start === -1) return null;
  try {
    return JSON.parse(line.slice(start)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export async function runElbBench(options: ElbBenchOptions): Promise<ElbBenchResult> {
  const lines = options.lines ?? STORY_LINES;
  const pool = 4;
  const root = mkdtempSync(path.join(os.tmpdir(), 'laambda-elb-bench-'));
  const receiver = await startReceiver();
  const platform = await startBenchPlatform(root);
  const summaries: Array<Record<string, unknown>> = [];
  let summaryArrived: (() => void) | undefined;
  platform.onLog((record) => {
    const summary = record.stream === 'stdout' ? summaryOf(record.line) : null;
    if (summary === null) return;
    summaries.push(summary);
    summaryArrived?.();
  });
  try {
    options.progress(`elb: writing a ${lines}-line access log`);
    const file = path.join(root, 'elb.log');
    const generateStarted = performance.now();
    const written = await writeElbLog(file, lines);
    const generateMs = Math.round(performance.now() - generateStarted);

    const key = await benchStep('elb bench', 'creating the app', () =>
      platform.createApp('elb', { LOGSTASH_HOST: '127.0.0.1', LOGSTASH_PORT: String(receiver.port), LOGSTASH_POOL: String(pool) }),
    );
    const s3 = new S3Client({
      endpoint: key.endpoint,
      region: key.region,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      forcePathStyle: true,
    });
    await benchStep('elb bench', 'CreateBucket on the S3 endpoint', () => s3.send(new CreateBucketCommand({ Bucket: BUCKET })));
    options.progress('elb: deploying examples/elb-logs-processor (npm ci on the first build)');
    const deploy = await benchStep('elb bench', 'deploying examples/elb-logs-processor', () => platform.deploy('elb', EXAMPLE));

    const runs: ElbRun[] = [];
    for (let n = 1; n <= options.repeats; n += 1) {
      const objectKey = n === 1 ? 'elb/2026/11/22/elb.log' : `elb/2026/11/22/elb-${n}.log`;
      options.progress(`elb: run ${n}/${options.repeats}: uploading ${objectKey} (${(written.bytes / 1e6).toFixed(1)} MB)`);
      receiver.reset();
      const summariesBefore = summaries.length;
      const started = performance.now();
      await benchStep('elb bench', `uploading ${objectKey}`, () =>
        new Upload({ client: s3, params: { Bucket: BUCKET, Key: objectKey, Body: createReadStream(file) } }).done(),
      );
      const uploadMs = performance.now() - started;
      const counts = await benchStep('elb bench', `waiting for ${lines} lines at the listener (bucket notification → function)`, async () => {
        try {
          return await receiver.waitFor(lines, WAIT_MS);
        } catch (error) {
          const logged = summaries.length > summariesBefore ? `the function logged ${JSON.stringify(summaries.at(-1))}` : 'the function logged no summary';
          throw new Error(`${(error as Error).message}; ${logged}`);
        }
      });
      // The summary comes after the sockets closed; give it a moment, and see no extra lines came.
      if (summaries.length === summariesBefore) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000);
          summaryArrived = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        summaryArrived = undefined;
      }
      const after = receiver.counts();
      runs.push({
        key: objectKey,
        uploadMs: Math.round(uploadMs),
        lastLineMs: Math.round(counts.lastLineAt - started),
        linesReceived: after.lines,
        badLines: after.bad,
        connections: after.connections,
        summary: summaries.length > summariesBefore ? (summaries.at(-1) ?? null) : null,
      });
      const run = runs.at(-1);
      options.progress(`elb: run ${n}: upload ${run?.uploadMs} ms, last line at ${run?.lastLineMs} ms, ${run?.linesReceived} lines`);
    }
    return {
      file: { lines: written.lines, bytes: written.bytes, generateMs },
      deploy,
      pool,
      runs,
      uploadToLastLine: summarize(runs.map((run) => run.lastLineMs)),
      upload: summarize(runs.map((run) => run.uploadMs)),
    };
  } finally {
    await platform.close();
    await receiver.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export function elbChecks(result: ElbBenchResult) {
  const fewest = Math.min(...result.runs.map((run) => run.linesReceived));
  const most = Math.max(...result.runs.map((run) => run.linesReceived));
  const bad = result.runs.reduce((sum, run) => sum + run.badLines, 0);
  const first = result.runs[0];
  return [
    {
      metric: 'lines at the listener, every run',
      value: fewest,
      unit: 'lines',
      target: `= ${result.file.lines}`,
      pass: fewest === result.file.lines && most === result.file.lines && bad === 0,
      note: `min ${fewest}, max ${most}, ${bad} not JSON; ${(result.file.bytes / 1e6).toFixed(1)} MB file`,
    },
    {
      metric: 'upload start → last line at the listener (max)',
      value: result.uploadToLastLine.max,
      unit: 'ms',
      target: '<= 5000 ms',
      pass: result.uploadToLastLine.max <= 5000,
      note: `p50 ${result.uploadToLastLine.p50} ms over ${result.runs.length} uploads (first, cold: ${first?.lastLineMs} ms); upload alone p50 ${result.upload.p50} ms`,
    },
  ];
}
