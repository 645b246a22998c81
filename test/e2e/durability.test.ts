// Durability across a crash: with queue messages waiting, `Event` invokes pending and bucket
// notifications queued, the `laambda server` process is killed with SIGKILL mid-processing and
// started again on the same data dir. Every accepted item must be processed (or dead-lettered),
// and nothing deleted before the kill may run again: duplicates are allowed only for work that
// was still in storage (in flight) when the server died.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { packDirectory } from '../../src/build/pack.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'laambda.js');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'durable-app');
const APP = 'durable';

const MESSAGES = 300; // every 10th is poison
const UPLOADS = 40;
const EVENTS = 60;
const isPoison = (n: number) => n % 10 === 7;
/** The kill comes once this share of each kind of work reached the ledger. */
const KILL_AT = 0.35;
const DEADLINE_MS = 90_000;

type Kind = 'queue' | 'poison' | 'upload' | 'async';
type Phase = 'before-kill' | 'down' | 'after-restart';
interface Entry {
  kind: Kind;
  id: string;
  requestId?: string;
  messageId?: string;
  receiveCount?: number;
  phase: Phase;
}

/**
 * Where the functions report what they processed. Replies are held while the gate is closed
 * (work stays in flight until everything was accepted), then each comes after a short delay, so
 * an invocation takes a little time and work is in flight when the server dies.
 */
class Ledger {
  readonly entries: Entry[] = [];
  phase: Phase = 'before-kill';
  onRecord: (() => void) | undefined;
  url = '';
  #open = false;
  #held: Array<() => void> = [];
  #waiters = new Set<() => void>();
  readonly #server = createServer((req, res) => this.#handle(req, res));

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  open(): void {
    this.#open = true;
    for (const reply of this.#held.splice(0)) reply();
  }

  count(kind: Kind, id: string): number {
    return this.entries.filter((entry) => entry.kind === kind && entry.id === id).length;
  }

  seen(kind: Kind): Set<string> {
    return new Set(this.entries.filter((entry) => entry.kind === kind).map((entry) => entry.id));
  }

  /** Resolves at the next record, or after `ms` (a bound on a wait, not a synchronisation). */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  async close(): Promise<void> {
    this.open();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const { kind, items } = JSON.parse(text) as { kind: Kind; items: Array<Omit<Entry, 'kind' | 'phase'>> };
      for (const item of items) this.entries.push({ ...item, kind, phase: this.phase });
      this.onRecord?.();
      for (const wake of [...this.#waiters]) wake();
      const reply = () => setTimeout(() => res.end('{}'), 25);
      if (this.#open) return reply();
      // Held well under the function timeout (5 s): a timed-out batch would come back and run
      // twice before the kill, which is at-least-once but not what this test looks at.
      if (this.#held.length === 0) setTimeout(() => this.open(), 3000).unref();
      this.#held.push(reply);
    });
  }
}

interface ServerProcess {
  child: ChildProcess;
  awsUrl: string;
  controlUrl: string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `laambda server` in its own process group, on free ports; resolves once it listens. */
async function startServerProcess(cwd: string, dataDir: string, env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const args = [BIN, 'server', '--data-dir', dataDir, '--port', '0', '--gateway-port', '0', '--aws-port', '0', '--json'];
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const lines = createInterface({ input: child.stdout! });
  const line = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    exited.then(({ code, signal }) => Promise.reject(new Error(`laambda server exited (${code ?? signal}) before listening:\n${stderr}`))),
  ]);
  const { controlUrl, awsUrl } = JSON.parse(line) as { controlUrl: string; awsUrl: string };
  return { child, controlUrl, awsUrl, stderr: () => stderr, exited };
}

/** Processes whose environment carries `marker` (the function environments of this test, orphans included). */
function processesWith(marker: string): number[] {
  return listProcesses().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker);
    } catch {
      return false; // gone, or not ours
    }
  });
}

function listProcesses(): number[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

/** Direct children of a process (Linux /proc; none elsewhere). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const pid of listProcesses()) {
    try {
      // The command may hold spaces and parentheses: the parent pid follows the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) children.push(pid);
    } catch {
      // gone
    }
  }
  return children;
}

function isAlive(pid: number): boolean {
  try {
    // A zombie (exited, not reaped yet) counts as gone.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** What storage held when the server was dead: rows still there were not deleted. */
interface Snapshot {
  jobs: Set<string>;
  deadLettered: Set<string>;
  invocations: Set<string>;
  /** Keys of bucket notifications not run to the end. */
  notifiedKeys: Set<string>;
}

function readSnapshot(dataDir: string): Snapshot {
  const db = new DatabaseSync(path.join(dataDir, 'laambda.db'), { readOnly: true });
  try {
    const queueIds = new Map((db.prepare('SELECT id, name FROM queues').all() as Array<{ id: string; name: string }>).map((q) => [q.name, q.id]));
    const messages = db.prepare('SELECT id, queue_id FROM queue_messages').all() as Array<{ id: string; queue_id: string }>;
    const rows = db.prepare('SELECT id, source, payload FROM async_invocations').all() as Array<{ id: string; source: string; payload: Uint8Array }>;
    const notifiedKeys = new Set<string>();
    for (const row of rows.filter((r) => r.source === 'bucket')) {
      const event = JSON.parse(Buffer.from(row.payload).toString('utf8')) as { Records: Array<{ s3: { object: { key: string } } }> };
      for (const record of event.Records) notifiedKeys.add(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' ')));
    }
    return {
      jobs: new Set(messages.filter((m) => m.queue_id === queueIds.get('jobs')).map((m) => m.id)),
      deadLettered: new Set(messages.filter((m) => m.queue_id === queueIds.get('jobs-dlq')).map((m) => m.id)),
      invocations: new Set(rows.filter((r) => r.source === 'invoke').map((r) => r.id)),
      notifiedKeys,
    };
  } finally {
    db.close();
  }
}

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

function clients(key: Key, endpoint: string) {
  const config = { endpoint, region: key.region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: 1 };
  return { s3: new S3Client({ ...config, forcePathStyle: true }), sqs: new SQSClient(config), lambda: new LambdaClient(config) };
}

const sample = (ids: Iterable<string>) => {
  const list = [...ids];
  return `${list.length}${list.length === 0 ? '' : `: ${list.slice(0, 12).join(', ')}${list.length > 12 ? ', …' : ''}`}`;
};

describe('laambda server survives kill -9 mid-processing', () => {
  const ledger = new Ledger();
  const adminToken = `lb_${randomBytes(24).toString('hex')}`;
  let home: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let first: ServerProcess | undefined;
  let second: ServerProcess | undefined;
  let key: Key;
  let aws: ReturnType<typeof clients> | undefined;
  let queueUrls: { jobs: string; dlq: string };
  const messageIds = new Map<string, string>(); // body id → SQS MessageId
  const goodIds: string[] = [];
  const poisonIds: string[] = [];
  const uploadKeys: string[] = [];
  const eventIds = new Map<string, string>(); // payload id → request id
  let snapshot: Snapshot;
  /** Function processes of the killed server still alive a moment after the new one listens. */
  let lingering: Array<{ pid: number; fds: number }> = [];
  const dlq = new Map<string, Set<string>>(); // body id → MessageIds seen in jobs-dlq
  const startedAt = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string) => (timings[name] = Date.now() - startedAt);

  const api = async (server: ServerProcess, method: string, apiPath: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const reply = await fetch(`${server.controlUrl}/api/v1${apiPath}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await reply.text();
    assert.ok(reply.ok, `${method} ${apiPath}: ${reply.status} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'laambda-durability-'));
    dataDir = path.join(home, 'data');
    await ledger.start();
    env = { ...process.env, HOME: home, LAAMBDA_CONFIG_DIR: path.join(home, 'config'), LAAMBDA_LOG_LEVEL: 'warn', LAAMBDA_ADMIN_TOKEN: adminToken, NO_COLOR: '1' };
    for (const name of ['LAAMBDA_URL', 'LAAMBDA_TOKEN', 'LAAMBDA_DATA_DIR']) delete env[name];
    first = await startServerProcess(home, dataDir, env);
    await api(first, 'POST', '/apps', { name: APP });
    key = await api(first, 'POST', `/apps/${APP}/keys`);
    aws = clients(key, first.awsUrl);
    // The queues exist before the release maps one: a short visibility timeout brings in-flight
    // messages back soon after the restart, and two failed receives dead-letter a poison message.
    const dlqUrl = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'jobs-dlq' }))).QueueUrl ?? '';
    const dlqArn = (await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const jobsUrl = (
      await aws.sqs.send(
        new CreateQueueCommand({
          QueueName: 'jobs',
          Attributes: { VisibilityTimeout: '5', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) },
        }),
      )
    ).QueueUrl ?? '';
    queueUrls = { jobs: jobsUrl, dlq: dlqUrl };
    const packed = await packDirectory(FIXTURE);
    const deploy = await fetch(`${first.controlUrl}/api/v1/apps/${APP}/deploys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/gzip' },
      body: packed.stream as unknown as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const events = (await deploy.text()).trim().split('\n').map((line) => JSON.parse(line) as { type: string; ok?: boolean });
    assert.ok(events.at(-1)?.ok, `deploy failed: ${JSON.stringify(events.at(-1))}`);
    await api(first, 'PATCH', `/apps/${APP}/config`, { LEDGER_URL: ledger.url });
    mark('deployed');
  });

  after(async () => {
    for (const client of Object.values(aws ?? {})) client.destroy();
    for (const server of [second, first]) {
      if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM');
        await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      }
      killGroup(server?.child.pid);
    }
    for (const pid of processesWith(`LEDGER_URL=${ledger.url}`)) killGroup(pid);
    await ledger.close();
    if (home !== undefined) rmSync(home, { recursive: true, force: true });
  });

  it('accepts messages, uploads and Event invokes, and is killed with work in flight', async (t) => {
    assert.ok(first !== undefined && aws !== undefined);
    const server = first;
    const { sqs, s3, lambda } = aws;
    const sends: Array<Promise<unknown>> = [];
    for (let batch = 0; batch < MESSAGES / 10; batch += 1) {
      const entries = Array.from({ length: 10 }, (_, i) => {
        const n = batch * 10 + i;
        const id = `m${String(n).padStart(3, '0')}`;
        (isPoison(n) ? poisonIds : goodIds).push(id);
        return { Id: id, MessageBody: JSON.stringify({ id, ...(isPoison(n) ? { poison: true } : {}) }) };
      });
      sends.push(
        sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrls.jobs, Entries: entries })).then((out) => {
          assert.deepEqual(out.Failed ?? [], []);
          for (const sent of out.Successful ?? []) messageIds.set(sent.Id ?? '', sent.MessageId ?? '');
        }),
      );
    }
    // Notifications and Event invokes share the async dispatcher, which runs them oldest first:
    // accepted interleaved, both kinds are in flight together.
    const asyncWork: Array<() => Promise<unknown>> = [];
    for (let n = 0; n < EVENTS; n += 1) {
      const id = `e${String(n).padStart(3, '0')}`;
      asyncWork.push(() =>
        lambda.send(new InvokeCommand({ FunctionName: `${APP}-async`, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ id })) })).then((out) => {
          assert.equal(out.StatusCode, 202);
          eventIds.set(id, out.$metadata.requestId ?? '');
        }),
      );
      const upload = Math.floor((n * UPLOADS) / EVENTS);
      if (upload !== Math.floor(((n + 1) * UPLOADS) / EVENTS)) {
        const objectKey = `drop-${String(upload).padStart(3, '0')}.txt`;
        uploadKeys.push(objectKey);
        asyncWork.push(() => s3.send(new PutObjectCommand({ Bucket: 'drops', Key: objectKey, Body: `object ${upload}` })));
      }
    }
    sends.push(
      (async () => {
        for (let i = 0; i < asyncWork.length; i += 4) await Promise.all(asyncWork.slice(i, i + 4).map((send) => send()));
      })(),
    );
    await Promise.all(sends);
    mark('accepted');
    assert.equal(messageIds.size, MESSAGES);

    assert.equal(uploadKeys.length, UPLOADS);
    const total = goodIds.length + UPLOADS + EVENTS;
    const progress = () => ledger.seen('queue').size + ledger.seen('upload').size + ledger.seen('async').size;
    const due = () =>
      ledger.seen('queue').size >= goodIds.length * KILL_AT && ledger.seen('upload').size >= UPLOADS * KILL_AT && ledger.seen('async').size >= EVENTS * KILL_AT;
    let killedAt = 0;
    const killed = new Promise<void>((resolve) => {
      const check = () => {
        if (killedAt !== 0 || !due()) return;
        process.kill(server.child.pid!, 'SIGKILL');
        ledger.phase = 'down';
        killedAt = progress();
        ledger.onRecord = undefined;
        resolve();
      };
      ledger.onRecord = check;
      check();
    });
    ledger.open();
    await Promise.race([killed, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${progress()} of ${total} items reached the ledger`)), DEADLINE_MS).unref())]);
    const exit = await server.exited;
    mark('killed');
    assert.equal(exit.signal, 'SIGKILL', `the server exited by itself: ${JSON.stringify(exit)}\n${server.stderr()}`);

    snapshot = readSnapshot(dataDir);
    const pendingGood = goodIds.filter((id) => snapshot.jobs.has(messageIds.get(id) ?? ''));
    t.diagnostic(
      `killed after ${killedAt} of ${total} items reached the ledger; left in storage: ${snapshot.jobs.size} queue messages ` +
        `(${pendingGood.length} good), ${snapshot.deadLettered.size} dead-lettered, ${snapshot.invocations.size} Event invokes, ${snapshot.notifiedKeys.size} notifications`,
    );
    // The crash really interrupted each kind of work.
    assert.ok(pendingGood.length > 0 && pendingGood.length < goodIds.length, `queue messages pending at the kill: ${pendingGood.length}`);
    assert.ok(snapshot.invocations.size > 0 && snapshot.invocations.size < EVENTS, `Event invokes pending at the kill: ${snapshot.invocations.size}`);
    assert.ok(snapshot.notifiedKeys.size > 0 && snapshot.notifiedKeys.size < UPLOADS, `notifications pending at the kill: ${snapshot.notifiedKeys.size}`);
    // Nothing accepted was dropped by the crash itself: what is not in storage was processed.
    const vanished = goodIds.filter((id) => !snapshot.jobs.has(messageIds.get(id) ?? '') && ledger.count('queue', id) === 0);
    assert.deepEqual(vanished, [], 'deleted queue messages the function never processed');
  });

  it('after a restart processes every accepted item or dead-letters it', async (t) => {
    assert.ok(aws !== undefined);
    // The killed server's environments are orphans now: they may finish the invocation they
    // were running, then should exit, as their Runtime API is gone.
    const orphans = processesWith(`LEDGER_URL=${ledger.url}`);
    mark('restarting');
    second = await startServerProcess(home, dataDir, env);
    ledger.phase = 'after-restart';
    mark('restarted');
    const settled = Date.now() + 2000;
    while (orphans.some(isAlive) && Date.now() < settled) await ledger.changed(100);
    lingering = orphans.filter(isAlive).map((pid) => ({ pid, fds: openFiles(pid) }));
    t.diagnostic(`function processes of the killed server: ${orphans.length} at the kill, ${lingering.length} still alive after the restart`);
    for (const client of Object.values(aws)) client.destroy();
    aws = clients(key, second.awsUrl);
    const { sqs } = aws;
    const missing = () => {
      const [queue, uploads, events] = [ledger.seen('queue'), ledger.seen('upload'), ledger.seen('async')];
      const lost = {
        queue: goodIds.filter((id) => !queue.has(id) && !dlq.has(id)),
        poison: poisonIds.filter((id) => !dlq.has(id)),
        uploads: uploadKeys.filter((objectKey) => !uploads.has(objectKey)),
        events: [...eventIds.keys()].filter((id) => !events.has(id)),
      };
      return Object.values(lost).every((list) => list.length === 0) ? undefined : lost;
    };
    const deadline = Date.now() + DEADLINE_MS;
    while (missing() !== undefined && Date.now() < deadline) {
      // The long poll bounds each round of the wait.
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrls.dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 600 }),
      );
      for (const message of out.Messages ?? []) {
        const { id } = JSON.parse(message.Body ?? '{}') as { id: string };
        dlq.set(id, (dlq.get(id) ?? new Set()).add(message.MessageId ?? ''));
      }
    }
    const lost = missing();
    assert.equal(lost, undefined, `still missing after ${DEADLINE_MS / 1000} s: ${Object.entries(lost ?? {}).map(([kind, ids]) => `${kind} ${sample(ids)}`).join('; ')}\n${second.stderr()}`);
    mark('complete');
    assert.deepEqual([...dlq.keys()].filter((id) => !poisonIds.includes(id)), [], 'good messages dead-lettered');
    assert.deepEqual([...dlq].filter(([, ids]) => ids.size !== 1).map(([id]) => id), [], 'poison messages dead-lettered more than once');
    // The last deletes follow the ledger's answers: the source queue drains.
    let counts: Record<string, string> | undefined;
    while (Date.now() < deadline) {
      const attributes = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] as const;
      counts = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrls.jobs, AttributeNames: [...attributes] }))).Attributes;
      if (attributes.every((name) => counts?.[name] === '0')) break;
      await ledger.changed(200);
    }
    assert.deepEqual(counts, { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    t.diagnostic(`restart to complete: ${timings.complete! - timings.restarted!} ms; ${dlq.size} poison messages in jobs-dlq`);
  });

  it('runs nothing again that was deleted before the kill; repeats only in-flight work', (t) => {
    const again: string[] = [];
    const duplicates = { queue: 0, upload: 0, async: 0 };
    const check = (kind: 'queue' | 'upload' | 'async', id: string, pending: boolean) => {
      const runs = ledger.count(kind, id);
      if (runs > 1) duplicates[kind] += 1;
      if (!pending && runs !== 1) again.push(`${kind} ${id} ran ${runs} times`);
    };
    for (const id of goodIds) check('queue', id, snapshot.jobs.has(messageIds.get(id) ?? ''));
    for (const objectKey of uploadKeys) check('upload', objectKey, snapshot.notifiedKeys.has(objectKey));
    for (const [id, requestId] of eventIds) check('async', id, snapshot.invocations.has(requestId));
    assert.deepEqual(again, [], 'work deleted before the kill ran again (or never ran)');
    const late = ledger.entries.filter((entry) => entry.phase === 'down').length;
    t.diagnostic(
      `accepted ${MESSAGES} messages (${poisonIds.length} poison), ${UPLOADS} uploads, ${EVENTS} Event invokes; ` +
        `processed more than once (all in flight at the kill): ${duplicates.queue} messages, ${duplicates.upload} uploads, ${duplicates.async} invokes; ` +
        `${late} ledger records from orphaned environments after the kill; timings ${JSON.stringify(timings)}`,
    );
  });

  it("lets the killed server's environments exit once their invocation is done", () => {
    assert.deepEqual(lingering, [], 'orphaned environments still alive after the restart (open files show the reconnect loop)');
  });

  it('leaves nothing pending after a clean stop', async () => {
    assert.ok(second !== undefined);
    const environments = childrenOf(second.child.pid!);
    second.child.kill('SIGTERM');
    const exit = await second.exited;
    assert.equal(exit.code, 0, second.stderr());
    assert.deepEqual(environments.filter(isAlive), [], 'function environments outlived a clean stop');
    const rest = readSnapshot(dataDir);
    assert.equal(rest.jobs.size, 0);
    assert.equal(rest.invocations.size + rest.notifiedKeys.size, 0);
    assert.deepEqual([...rest.deadLettered].sort(), poisonIds.map((id) => messageIds.get(id)).sort());
  });
});
