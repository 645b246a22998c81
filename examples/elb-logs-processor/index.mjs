// ELB access logs → logstash. S3 invokes this when a load balancer writes a log file into the
// bucket; it streams the object, parses each line and sends it as one JSON line to a logstash
// `tcp` input (codec json_lines) over a small pool of connections. One summary line per run,
// nothing per line: 76,464 lines of "posted to logstash" make logs nobody can read.
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseLine } from './parse.mjs';
import { createPool, noteFailure } from './pool.mjs';

// Send in chunks of many lines: one write per line would be 76,464 system calls.
const CHUNK_BYTES = 64 * 1024;

let s3;
// Created on first use, so it picks up AWS_ENDPOINT_URL and the app's keys from the environment.
const client = () => (s3 ??= new S3Client({ forcePathStyle: true }));

/** S3 event keys are form-URL-encoded: `elb/my file.log` arrives as `elb/my+file.log`. */
export function decodeKey(key) {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function settings(env) {
  const host = env.LOGSTASH_HOST;
  const port = Number(env.LOGSTASH_PORT);
  const size = Number(env.LOGSTASH_POOL ?? 4);
  if (!host || !Number.isInteger(port) || port <= 0) {
    throw new Error('Set LOGSTASH_HOST and LOGSTASH_PORT (laambda config:set LOGSTASH_HOST=... LOGSTASH_PORT=...)');
  }
  if (!Number.isInteger(size) || size < 1) throw new Error(`LOGSTASH_POOL must be a whole number of connections, not ${env.LOGSTASH_POOL}`);
  return { host, port, size };
}

/** Lines of a byte stream, in arrays (one per chunk read), without holding the whole file. */
async function* lineBatches(readable) {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of readable) {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop() ?? '';
    yield lines;
  }
  rest += decoder.end();
  if (rest !== '') yield [rest];
}

async function processObject({ bucket, key, pool, summary }) {
  const object = await client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = key.endsWith('.gz') ? pipeline(object.Body, createGunzip(), () => {}) : object.Body;
  let chunk = '';
  let count = 0;
  for await (const lines of lineBatches(body)) {
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '') continue;
      summary.linesEncountered += 1;
      let entry;
      try {
        entry = parseLine(line);
      } catch (error) {
        summary.parseFailures += 1;
        noteFailure(summary, `parse ${key} line ${summary.linesEncountered}`, error);
        continue;
      }
      summary.linesParsed += 1;
      chunk += `${JSON.stringify(entry)}\n`;
      count += 1;
      if (chunk.length >= CHUNK_BYTES) {
        // Awaiting the pool also pauses the S3 stream: nothing piles up in memory.
        await pool.send(chunk, count);
        chunk = '';
        count = 0;
      }
    }
  }
  if (count > 0) await pool.send(chunk, count);
}

export async function handler(event) {
  const { host, port, size } = settings(process.env);
  const summary = {
    objects: 0,
    linesEncountered: 0,
    linesParsed: 0,
    linesSent: 0,
    parseFailures: 0,
    sendFailures: 0,
    connectionsCreated: 0,
    connectionsDestroyed: 0,
    lastFailures: [],
  };
  const pool = createPool({ host, port, size, summary });
  let failure;
  try {
    for (const record of event.Records ?? []) {
      if (record.eventSource !== 'aws:s3' || !record.eventName?.startsWith('ObjectCreated')) continue;
      const bucket = record.s3.bucket.name;
      const key = decodeKey(record.s3.object.key);
      summary.objects += 1;
      await processObject({ bucket, key, pool, summary });
    }
  } catch (error) {
    failure = error;
    noteFailure(summary, 'processing', error);
  } finally {
    // Every line must be out of this process before the function returns.
    await pool.close();
  }
  console.log(JSON.stringify(summary));
  // A run that could not read the file or reach logstash fails, so it shows and S3 retries it.
  if (failure !== undefined) throw failure;
  return summary;
}
