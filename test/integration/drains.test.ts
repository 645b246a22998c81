// Log drains against real listeners on 127.0.0.1: a logstash-like TCP collector reading JSON
// lines, a syslog collector reading RFC 6587 octet-counted RFC 5424 messages, and an HTTP
// endpoint taking ndjson POSTs. Every wait is on what a listener received or on the drain's
// reported state, never on time.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DrainEntry } from '../../src/core/drains.ts';
import { isLaambdaError } from '../../src/core/errors.ts';
import type { PlatformStorage } from '../../src/core/platform.ts';
import { createDrainManager, type DrainManager, type DrainManagerOptions } from '../../src/observe/drains/index.ts';
import { createSqliteStorage } from '../../src/storage/index.ts';

let dataDir: string;
let storage: PlatformStorage;
let appId: string;
let otherAppId: string;
const managers: DrainManager[] = [];
const collectors: Collector[] = [];

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'laambda-drains-'));
  storage = await createSqliteStorage({ dataDir });
  appId = (await storage.apps.create({ name: 'shop', domain: null })).id;
  otherAppId = (await storage.apps.create({ name: 'other', domain: null })).id;
});

after(async () => {
  await Promise.all(managers.map((manager) => manager.close({ graceMs: 100 })));
  await Promise.all(collectors.map((collector) => collector.stop()));
  await storage.close();
  await rm(dataDir, { recursive: true, force: true });
});

function manager(options: Partial<DrainManagerOptions> = {}): DrainManager {
  const names = new Map([
    [appId, 'shop'],
    [otherAppId, 'other'],
  ]);
  const created = createDrainManager({ store: storage.drains, appName: (id) => names.get(id) ?? id, ...options });
  managers.push(created);
  return created;
}

let nextId = 1;
function entry(fields: Partial<DrainEntry> = {}): DrainEntry {
  const id = nextId++;
  return {
    id,
    time: Date.UTC(2024, 0, 2, 3, 4, 5, 678) + id,
    appId,
    function: 'worker',
    release: 3,
    requestId: `req-${id}`,
    stream: 'stdout',
    type: null,
    line: `line ${id}`,
    ...fields,
  };
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A TCP listener that records the messages it read: newline-separated (logstash's json_lines)
 * or RFC 6587 octet-counted. It can stop (closing its connections) and listen again on its port.
 */
class Collector {
  readonly messages: string[] = [];
  /** Bytes left over when a connection closed mid-message. */
  readonly truncated: string[] = [];
  connections = 0;
  #server: net.Server | null = null;
  readonly #sockets = new Set<net.Socket>();
  readonly #framing: 'lines' | 'octets';
  port = 0;

  constructor(framing: 'lines' | 'octets') {
    this.#framing = framing;
    collectors.push(this);
  }

  async listen(port = this.port): Promise<this> {
    const server = net.createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #accept(socket: net.Socket): void {
    this.connections += 1;
    this.#sockets.add(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = this.#consume(Buffer.concat([pending, data]));
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#sockets.delete(socket);
      if (pending.length > 0) this.truncated.push(pending.toString('utf8'));
    });
  }

  /** Records the complete messages in `data`; returns the incomplete rest. */
  #consume(data: Buffer): Buffer {
    let offset = 0;
    for (;;) {
      if (this.#framing === 'lines') {
        const end = data.indexOf(0x0a, offset);
        if (end < 0) break;
        this.messages.push(data.subarray(offset, end).toString('utf8'));
        offset = end + 1;
      } else {
        const space = data.indexOf(0x20, offset);
        if (space < 0) break;
        const length = Number(data.subarray(offset, space).toString('ascii'));
        assert.ok(Number.isInteger(length) && length > 0, `octet count at ${offset} is a number`);
        if (data.length < space + 1 + length) break;
        this.messages.push(data.subarray(space + 1, space + 1 + length).toString('utf8'));
        offset = space + 1 + length;
      }
    }
    return data.subarray(offset);
  }

  json(): Record<string, unknown>[] {
    return this.messages.map((message) => JSON.parse(message) as Record<string, unknown>);
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function ids(records: Record<string, unknown>[]): number[] {
  return records.map((record) => record.id as number);
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

async function status(drains: DrainManager, app = appId) {
  const [first] = await drains.list(app);
  assert.ok(first !== undefined, 'the app has a drain');
  return first;
}

describe('tcp:// drain', () => {
  it('delivers 10,000 lines in order as JSON lines with every field, and only its own app\'s', async () => {
    const collector = await new Collector('lines').listen();
    const drains = manager();
    const { created } = await drains.add(appId, `tcp://127.0.0.1:${collector.port}`);
    assert.equal(created, true);
    // Delivered before the drain has connected: the lines wait for 'connect' (the ELB story's bug).
    const expected: number[] = [];
    for (let i = 0; i < 10_000; i += 1) {
      const line = entry();
      expected.push(line.id);
      drains.deliver(line);
      if (i % 1000 === 0) drains.deliver(entry({ appId: otherAppId, line: 'not for this drain' }));
    }
    await waitFor(() => collector.messages.length >= 10_000, '10,000 lines at the collector');

    const records = collector.json();
    assert.equal(records.length, 10_000);
    assert.deepEqual(ids(records), expected);
    assert.ok(records.every((record) => record.app === 'shop' && record.message !== 'not for this drain'));
    const id = records[0]?.id as number;
    assert.deepEqual(records[0], {
      '@timestamp': new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678) + id).toISOString(),
      app: 'shop',
      function: 'worker',
      release: 3,
      requestId: `req-${id}`,
      stream: 'stdout',
      type: null,
      message: `line ${id}`,
      id,
    });
    await waitFor(async () => (await status(drains)).sent === 10_000, 'the drain to count 10,000 sent');
    const shown = await status(drains);
    assert.equal(shown.state, 'connected');
    assert.equal(shown.buffered, 0);
    assert.equal(shown.dropped, 0);
    assert.equal(collector.connections, 1);
    await drains.remove(appId, `tcp://127.0.0.1:${collector.port}`);
  });

  it('loses nothing within the buffer when the listener stops and comes back on the same port', async () => {
    const collector = await new Collector('lines').listen();
    const url = `tcp://127.0.0.1:${collector.port}`;
    const drains = manager();
    await drains.add(appId, url);
    const batch1 = range(nextId, 3000);
    for (const _ of batch1) drains.deliver(entry());
    await waitFor(() => collector.messages.length === batch1.length, 'batch 1 at the collector');

    await collector.stop();
    await waitFor(async () => (await status(drains)).state !== 'connected', 'the drain to notice the listener went away');
    const batch2 = range(nextId, 3000);
    for (const _ of batch2) drains.deliver(entry());
    const down = await status(drains);
    assert.equal(down.buffered, batch2.length, 'batch 2 waits in the buffer while the listener is down');
    assert.match(down.lastError ?? 'closed', /ECONNREFUSED|ECONNRESET|EPIPE|closed/);

    await collector.listen();
    await waitFor(() => collector.messages.length >= batch1.length + batch2.length, 'batch 2 after the restart');
    assert.deepEqual(ids(collector.json()), [...batch1, ...batch2], 'every line once, in order');
    assert.deepEqual(collector.truncated, []);
    assert.equal(collector.connections, 2);
    const shown = await status(drains);
    assert.equal(shown.dropped, 0);
    assert.equal(shown.sent, batch1.length + batch2.length);
    await drains.remove(appId, url);
  });

  it('keeps order when the listener stops while lines are flowing (reports what the kernel lost)', async (t) => {
    const collector = await new Collector('lines').listen();
    const url = `tcp://127.0.0.1:${collector.port}`;
    // A buffer larger than the run: whatever is missing was lost past the buffer, in the kernel.
    const drains = manager({ bufferLines: 50_000 });
    await drains.add(appId, url);
    const all = range(nextId, 20_000);
    let stopped: Promise<void> | null = null;
    for (let i = 0; i < all.length; i += 200) {
      for (let j = 0; j < 200; j += 1) drains.deliver(entry());
      if (stopped === null && collector.messages.length >= 4000) stopped = collector.stop().then(() => collector.listen().then(() => undefined));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(stopped !== null, 'the listener was stopped mid-stream');
    await stopped;
    const last = all.at(-1);
    await waitFor(() => collector.messages.some((message) => message.includes(`"id":${last}}`)), 'the last line');
    await waitFor(async () => (await status(drains)).buffered === 0, 'the drain to empty its buffer');

    const received = ids(collector.messages.filter((m) => m.startsWith('{') && m.endsWith('}')).map((m) => JSON.parse(m) as Record<string, unknown>));
    const firstSeen = received.filter((id, i) => received.indexOf(id) === i);
    assert.deepEqual(firstSeen, [...firstSeen].sort((a, b) => a - b), 'lines arrive in acceptance order');
    const seen = new Set(received);
    const missing = all.filter((id) => !seen.has(id)).length;
    const { dropped } = await status(drains);
    t.diagnostic(
      `stopped after ~4000 of 20,000 lines: ${missing} missing (${dropped} dropped by the full buffer, ` +
        `${missing - dropped} accepted by the kernel but never read), ${received.length - seen.size} resent twice, ` +
        `${collector.truncated.length} truncated line(s) at the cut`,
    );
    assert.ok(missing >= dropped);
    await drains.remove(appId, url);
  });

  it('costs deliver() nothing when the listener never comes up, and reports the dropped lines', async (t) => {
    const port = await freePort();
    const reports: { appId: string; url: string; count: number }[] = [];
    let delivering = false;
    let reportedDuringDeliver = false;
    const drains = manager({
      onDropped: (app, url, count) => {
        if (delivering) reportedDuringDeliver = true;
        reports.push({ appId: app, url, count });
      },
    });
    const url = `tcp://127.0.0.1:${port}`;
    await drains.add(appId, url);

    delivering = true;
    const started = performance.now();
    for (let i = 0; i < 50_000; i += 1) {
      // Synchronous: no promise comes back to wait on.
      assert.equal(drains.deliver(entry()), undefined);
    }
    const elapsed = performance.now() - started;
    delivering = false;
    t.diagnostic(`50,000 deliver() calls to a dead drain took ${elapsed.toFixed(1)} ms (${((elapsed * 1000) / 50_000).toFixed(2)} µs each)`);

    const shown = await status(drains);
    assert.notEqual(shown.state, 'connected');
    assert.equal(shown.buffered, 10_000, 'the buffer holds bufferLines and no more');
    assert.equal(shown.dropped, 40_000);
    assert.equal(shown.sent, 0);
    await waitFor(() => reports.reduce((sum, report) => sum + report.count, 0) === 40_000, 'onDropped to report 40,000 lines');
    assert.equal(reportedDuringDeliver, false, 'onDropped never runs inside deliver()');
    assert.deepEqual(reports[0], { appId, url, count: 40_000 });
    await waitFor(async () => /ECONNREFUSED/.test((await status(drains)).lastError ?? ''), 'the refusal to show as lastError');
    await drains.remove(appId, url);
  });
});

interface Syslog {
  pri: number;
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string;
  params: Record<string, string>;
  msg: string;
}

/** A strict reader of the RFC 5424 messages we send: header, one SD-ELEMENT, MSG. */
function parseSyslog(text: string): Syslog {
  const header = /^<(\d{1,3})>(1) (\S+) (\S+) (\S+) (\S+) (\S+) \[/.exec(text);
  assert.ok(header !== null, `RFC 5424 header in ${text}`);
  const [, pri, version, timestamp, hostname, appName, procId, msgId] = header as unknown as string[];
  let i = header[0].length;
  const sdId = /^[^ \]="]+/.exec(text.slice(i))?.[0] ?? '';
  i += sdId.length;
  const params: Record<string, string> = {};
  while (text[i] === ' ') {
    const name = /^ ([^ \]="]+)="/.exec(text.slice(i));
    assert.ok(name !== null, `SD-PARAM at ${i} of ${text}`);
    i += name[0].length;
    let value = '';
    for (;;) {
      const char = text[i];
      assert.ok(char !== undefined, 'SD-PARAM value ends');
      if (char === '\\' && ['"', '\\', ']'].includes(text[i + 1] ?? '')) {
        value += text[i + 1];
        i += 2;
      } else if (char === '"') {
        i += 1;
        break;
      } else {
        assert.notEqual(char, ']', 'an unescaped ] inside a value');
        value += char;
        i += 1;
      }
    }
    params[name[1] as string] = value;
  }
  assert.equal(text[i], ']', 'SD-ELEMENT closes');
  assert.equal(text[i + 1], ' ', 'a space before MSG');
  return { pri: Number(pri), version: version as string, timestamp: timestamp as string, hostname: hostname as string, appName: appName as string, procId: procId as string, msgId: msgId as string, sdId, params, msg: text.slice(i + 2) };
}

describe('syslog+tcp:// drain', () => {
  it('sends octet-counted RFC 5424 messages with escaped structured data', async () => {
    const collector = await new Collector('octets').listen();
    const drains = manager();
    const url = `syslog+tcp://127.0.0.1:${collector.port}`;
    await drains.add(appId, url);
    const sent = [
      entry({ line: 'plain line' }),
      entry({ stream: 'stderr', requestId: 'tricky "quoted" \\ back ] bracket', line: 'error: ünïcode ✓' }),
      entry({ stream: 'platform', line: 'REPORT RequestId: x\tDuration: 1 ms' }),
      entry({ stream: 'event', function: null, release: null, requestId: null, type: 'deploy', line: 'multi\nline message' }),
    ];
    for (const line of sent) drains.deliver(line);
    await waitFor(() => collector.messages.length === sent.length, 'the syslog messages');

    const parsed = collector.messages.map(parseSyslog);
    assert.deepEqual(
      parsed.map((m) => [m.pri, m.msgId, m.procId]),
      [
        [14, 'stdout', 'worker'],
        [11, 'stderr', 'worker'],
        [134, 'platform', 'worker'],
        [133, 'event', '-'],
      ],
    );
    for (const [i, message] of parsed.entries()) {
      const original = sent[i] as DrainEntry;
      assert.equal(message.version, '1');
      assert.equal(message.timestamp, new Date(original.time).toISOString());
      assert.equal(message.hostname, 'laambda');
      assert.equal(message.appName, 'shop');
      assert.equal(message.sdId, 'laambda@32473');
      assert.equal(message.msg, original.line);
    }
    assert.deepEqual(parsed[1]?.params, { release: '3', requestId: 'tricky "quoted" \\ back ] bracket' });
    assert.deepEqual(parsed[3]?.params, { type: 'deploy' });
    await drains.remove(appId, url);
  });
});

interface Post {
  status: number;
  contentType: string | undefined;
  lines: Record<string, unknown>[];
}

describe('https:// drain (plain http to 127.0.0.1 in tests)', () => {
  it('POSTs ndjson batches and retries one answered with 500, unchanged and in order', async () => {
    const posts: Post[] = [];
    let failNext = 1;
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        assert.ok(body.endsWith('\n'));
        const status = failNext > 0 ? 500 : 200;
        if (status === 500) failNext -= 1;
        posts.push({ status, contentType: request.headers['content-type'], lines: body.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) });
        response.writeHead(status).end(status === 500 ? 'try again' : 'ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => {
      server.closeAllConnections();
      server.close();
    });
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/ingest`;
    const drains = manager({ http: { batchLines: 100, flushMs: 20 }, backoff: { minMs: 10, maxMs: 50 } });
    await drains.add(appId, url);

    const expected = range(nextId, 1000);
    for (const _ of expected) drains.deliver(entry());
    const accepted = (): Post[] => posts.filter((post) => post.status === 200);
    await waitFor(() => accepted().reduce((sum, post) => sum + post.lines.length, 0) >= expected.length, '1000 lines accepted');

    assert.equal(posts[0]?.status, 500);
    assert.deepEqual(posts[1]?.lines, posts[0]?.lines, 'the refused batch is sent again, unchanged');
    assert.ok(posts.every((post) => post.contentType === 'application/x-ndjson'));
    assert.ok(accepted().every((post) => post.lines.length <= 100));
    assert.deepEqual(ids(accepted().flatMap((post) => post.lines)), expected);
    assert.equal(accepted()[0]?.lines[0]?.app, 'shop');

    // Fewer lines than a batch still go, once the first of them is flushMs old.
    const few = range(nextId, 5);
    for (const _ of few) drains.deliver(entry());
    await waitFor(() => accepted().reduce((sum, post) => sum + post.lines.length, 0) === expected.length + few.length, 'a short batch');
    assert.deepEqual(ids(accepted().at(-1)?.lines ?? []), few);
    // The endpoint has answered; the drain counts the batch once it has read the answer.
    await waitFor(async () => (await status(drains)).sent === expected.length + few.length, 'the drain to count every line sent');
    const shown = await status(drains);
    assert.equal(shown.dropped, 0);
    assert.match(shown.lastError ?? '', /HTTP 500/);
    await drains.remove(appId, url);
  });
});

describe('drain management', () => {
  it('refuses URLs it cannot send to, saying what it accepts, and stores nothing', async () => {
    const drains = manager();
    for (const url of ['udp://127.0.0.1:514', 'tcp://127.0.0.1', 'http://logs.example.com/in', 'logs.example.com:5000', '']) {
      await assert.rejects(drains.add(appId, url), (error) => {
        assert.ok(isLaambdaError(error));
        assert.equal(error.code, 'ERR_DRAIN_URL_INVALID');
        assert.match(error.message, /accepted: tcp:\/\/HOST:PORT/);
        return true;
      });
    }
    assert.deepEqual(await drains.list(appId), []);
  });

  it('adds a URL once, removes it by any spelling, and says when there is none', async () => {
    const port = await freePort();
    const drains = manager();
    assert.equal((await drains.add(appId, `tcp://127.0.0.1:${port}`)).created, true);
    const again = await drains.add(appId, ` TCP://127.0.0.1:${port}/ `);
    assert.equal(again.created, false);
    assert.equal(again.drain.url, `tcp://127.0.0.1:${port}`);
    assert.deepEqual((await drains.list(appId)).map((d) => d.url), [`tcp://127.0.0.1:${port}`]);
    assert.deepEqual(await drains.list(otherAppId), [], "another app does not see the drain");
    await assert.rejects(drains.remove(otherAppId, `tcp://127.0.0.1:${port}`), { code: 'ERR_DRAIN_NOT_FOUND' });
    await drains.remove(appId, `tcp://127.0.0.1:${port}/`);
    assert.deepEqual(await drains.list(appId), []);
    await assert.rejects(drains.remove(appId, `tcp://127.0.0.1:${port}`), { code: 'ERR_DRAIN_NOT_FOUND' });
  });

  it('resumes stored drains after a restart and forgets those of a removed app', async () => {
    const collector = await new Collector('lines').listen();
    const url = `tcp://127.0.0.1:${collector.port}`;
    const temporary = await storage.apps.create({ name: 'temporary', domain: null });
    await manager().add(temporary.id, url);
    await manager().close();

    const restarted = manager();
    await restarted.start();
    const line = entry({ appId: temporary.id, line: 'after the restart' });
    restarted.deliver(line);
    await waitFor(() => collector.messages.length === 1, 'the line after the restart');
    assert.equal(collector.json()[0]?.message, 'after the restart');

    await storage.apps.remove(temporary.id);
    assert.deepEqual(await storage.drains.listAll().then((all) => all.filter((d) => d.appId === temporary.id)), [], 'drains go with their app');
    await restarted.forgetApp(temporary.id);
    restarted.deliver(entry({ appId: temporary.id }));
    await assert.rejects(storage.drains.add(temporary.id, url, Date.now()), { code: 'ERR_APP_NOT_FOUND' });
    assert.deepEqual(await restarted.list(temporary.id), []);
  });

  it('flushes buffered lines on close within its grace period', async () => {
    const collector = await new Collector('lines').listen();
    const url = `tcp://127.0.0.1:${collector.port}`;
    const drains = manager();
    await drains.add(appId, url);
    await waitFor(async () => (await status(drains)).state === 'connected', 'the drain to connect');
    const batch = range(nextId, 2000);
    for (const _ of batch) drains.deliver(entry());
    await drains.close({ graceMs: 5000 });
    await waitFor(() => collector.messages.length === batch.length, 'every line flushed by close');
    assert.deepEqual(ids(collector.json()), batch);
    await storage.drains.remove(appId, url);
  });
});
