import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'laambda.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function collect(child: ReturnType<typeof spawn>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('laambda events:generate', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  const laambda = (args: string[]) => spawn(process.execPath, [CLI, ...args], { cwd: dir, env });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'laambda-events-generate-'));
    env = { ...process.env, HOME: dir, LAAMBDA_DATA_DIR: path.join(dir, 'data'), NO_COLOR: '1' };
    await writeFile(path.join(dir, 'Procfile'), 'hello: index.handler\n');
    await writeFile(path.join(dir, 'index.js'), 'exports.handler = async (event) => event.Records[0].s3.object.key;\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints an S3 put event with the key URL-encoded as S3 does', async () => {
    const run = await collect(laambda(['events:generate', 's3-put', '--bucket', 'b', '--key', 'Happy Face.jpg']));
    assert.equal(run.code, 0, run.stderr);
    const event = JSON.parse(run.stdout);
    const record = event.Records[0];
    assert.equal(record.eventSource, 'aws:s3');
    assert.equal(record.eventName, 'ObjectCreated:Put');
    assert.equal(record.s3.bucket.name, 'b');
    assert.equal(record.s3.bucket.arn, 'arn:aws:s3:::b');
    assert.equal(record.s3.object.key, 'Happy+Face.jpg');
    assert.ok(Math.abs(Date.parse(record.eventTime) - Date.now()) < 60_000, 'eventTime is now');
    assert.ok(run.stdout.includes('\n  "Records"'), 'pretty-printed');
  });

  it('composes with invoke: events:generate s3-put | invoke --event -', async () => {
    const generate = laambda(['events:generate', 's3-put', '--bucket', 'b', '--key', 'Happy Face.jpg']);
    const invoke = laambda(['invoke', 'hello', '--dir', dir, '--event', '-']);
    generate.stdout.pipe(invoke.stdin);
    const [generated, invoked] = await Promise.all([collect(generate), collect(invoke)]);
    assert.equal(generated.code, 0, generated.stderr);
    assert.equal(invoked.code, 0, invoked.stderr);
    assert.equal(JSON.parse(invoked.stdout), 'Happy+Face.jpg');
  });

  it('fails with ERR_EVENT_TYPE_UNKNOWN and exit 1 for an unknown type', async () => {
    const run = await collect(laambda(['events:generate', 'nope']));
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /✘ ERR_EVENT_TYPE_UNKNOWN: .*s3-put/);
  });

  it('fails with ERR_EVENT_OPTION_INVALID for an option the type does not take', async () => {
    const wrong = await collect(laambda(['events:generate', 'sqs', '--bucket', 'b']));
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /✘ ERR_EVENT_OPTION_INVALID: sqs does not take --bucket .*--queue/);
    const unknown = await collect(laambda(['events:generate', 'sqs', '--colour', 'red']));
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /✘ ERR_EVENT_OPTION_INVALID: unknown option --colour/);
  });
});
