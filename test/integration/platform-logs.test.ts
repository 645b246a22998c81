// Logs on `laambda server`: `laambda logs --tail` (a real CLI process over server-sent events)
// shows what a function prints as it prints it; history filters by function, request id, time
// and text; platform events sit beside the lines; config values never reach the log.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net, { type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
// @ts-expect-error: the parser ships no types
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { REPO_ROOT, ServerHarness } from '../support/server.ts';

const CLI = path.join(REPO_ROOT, 'bin', 'laambda.js');
const SECRET = 's3cr3t-value-do-not-log-7781';

const HANDLERS = `
exports.talk = async (event) => { console.log('probe ' + event.n + ' at ' + Date.now()); console.error('talk stderr ' + event.n); return 'ok'; };
exports.quiet = async () => { console.log('quiet line'); return 'ok'; };
`;

interface Entry {
  id: number;
  time: string;
  function: string | null;
  release: number | null;
  requestId: string | null;
  stream: string;
  type: string | null;
  line: string;
}

/** `laambda_invocations_total` of shop's talk, read from /metrics with Prometheus' text parser. */
async function scrape(controlUrl: string, token: string): Promise<Array<{ name: string; metrics: Array<{ labels?: Record<string, string>; value?: string }> }>> {
  const reply = await fetch(`${controlUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(reply.status, 200);
  return parsePrometheusTextFormat(await reply.text());
}

describe('logs on laambda server', () => {
  let harness: ServerHarness;
  let appDir: string;
  let lambda: LambdaClient;
  const children: ChildProcess[] = [];

  const logs = async (query: string): Promise<Entry[]> => {
    const reply = await harness.api('GET', `/apps/shop/logs?${query}`);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body as Entry[];
  };

  /** Invokes synchronously; answers the request id (from the START line of the log tail). */
  const invoke = async (fn: string, payload: unknown): Promise<string> => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: `shop-${fn}`, LogType: 'Tail', Payload: Buffer.from(JSON.stringify(payload)) }));
    const tail = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    const requestId = /START RequestId: (\S+)/.exec(tail)?.[1];
    assert.ok(requestId, tail);
    return requestId;
  };

  const talkInvocations = async () => {
    const families = await scrape(harness.server.controlUrl, harness.adminToken);
    const family = families.find((f) => f.name === 'laambda_invocations_total');
    return family?.metrics.filter((m) => m.labels?.app === 'shop' && m.labels.function === 'talk').reduce((sum, m) => sum + Number(m.value), 0) ?? 0;
  };

  const cli = (args: string[]) => {
    const env = { ...process.env, NO_COLOR: '1', LAAMBDA_URL: harness.server.controlUrl, LAAMBDA_TOKEN: harness.adminToken, LAAMBDA_CONFIG_DIR: path.join(appDir, '.config') };
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };

  before(async () => {
    harness = await ServerHarness.start();
    appDir = mkdtempSync(path.join(os.tmpdir(), 'laambda-logs-app-'));
    writeFileSync(path.join(appDir, 'Procfile'), 'talk: index.talk\nquiet: index.quiet\n');
    writeFileSync(path.join(appDir, 'index.js'), HANDLERS);
    assert.equal((await harness.api('POST', '/apps', { name: 'shop' })).status, 201);
    await harness.deployOk('shop', appDir);
    assert.equal((await harness.api('PATCH', '/apps/shop/config', { API_SECRET: SECRET })).status, 200);
    const key = (await harness.api('POST', '/apps/shop/keys')).body;
    lambda = new LambdaClient({ endpoint: key.endpointUrl, region: key.region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
  });

  after(async () => {
    for (const child of children) child.kill();
    lambda?.destroy();
    await harness?.dispose();
    rmSync(appDir, { recursive: true, force: true });
  });

  it('tails a line within 100 ms of the function printing it', async (t) => {
    const tail = cli(['logs', '--tail', '--json', '-a', 'shop', '--function', 'talk', '-n', '1']);
    const lines = createInterface({ input: tail.stdout! });
    const received = new Map<number, number>();
    const waiters = new Map<number, () => void>();
    lines.on('line', (text) => {
      const entry = JSON.parse(text) as Entry;
      // console.log lines carry Lambda's prefix: TIME\tREQUEST-ID\tINFO\tmessage.
      const probe = /\tprobe (\d+) at (\d+)$/.exec(entry.line);
      if (probe === null) return;
      const n = Number(probe[1]);
      received.set(n, Date.now() - Number(probe[2]));
      waiters.get(n)?.();
    });
    // The first probe also proves the tail is connected: keep probing until one arrives.
    const arrival = (n: number) => new Promise<void>((resolve) => (received.has(n) ? resolve() : waiters.set(n, resolve)));
    let connected = 0;
    for (let n = 1; connected === 0; n += 1) {
      await invoke('talk', { n });
      await Promise.race([arrival(n).then(() => (connected = n)), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    }
    const latencies: number[] = [];
    for (let n = connected + 1; n <= connected + 10; n += 1) {
      await invoke('talk', { n });
      await arrival(n);
      latencies.push(received.get(n) ?? Number.NaN);
    }
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)] ?? Number.NaN;
    t.diagnostic(`print → laambda logs --tail output, 10 lines: median ${median} ms, max ${latencies.at(-1)} ms (${latencies.join(', ')})`);
    assert.ok(median <= 100, `median tail latency ${median} ms`);
    tail.kill();
  });

  it('filters the history by function, request id, time and text', async () => {
    const quietId = await invoke('quiet', {});
    const before = new Date().toISOString();
    await invoke('talk', { n: 1000 });

    const quiet = await logs('function=quiet&lines=1000');
    assert.ok(quiet.length >= 4 && quiet.every((e) => e.function === 'quiet'), JSON.stringify(quiet));

    const one = await logs(`requestId=${quietId}`);
    assert.deepEqual(
      one.map((e) => (e.stream === 'platform' ? e.line.split(' ')[0] : e.line.split('\t').at(-1))),
      ['START', 'quiet line', 'END', 'REPORT'],
    );
    assert.ok(one.every((e) => e.requestId === quietId && e.release === 2));

    const recent = await logs(`since=${encodeURIComponent(before)}&lines=1000`);
    assert.ok(recent.some((e) => e.line.includes('\tprobe 1000 at')));
    assert.ok(!recent.some((e) => e.line.endsWith('\tquiet line')), 'a line from before --since');

    const text = await logs('grep=PROBE&lines=1000');
    assert.ok(text.length > 0 && text.every((e) => /probe/i.test(e.line)));

    const bad = await harness.api('GET', '/apps/shop/logs?since=yesterday-ish');
    assert.equal(bad.body.code, 'ERR_LOGS_QUERY_INVALID');

    const shown = cli(['logs', '-a', 'shop', '--request-id', quietId]);
    let output = '';
    shown.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise((resolve) => shown.on('close', resolve));
    assert.equal(code, 0);
    assert.match(output, /^\S+ quiet\[v2\]: START RequestId: /m);
    assert.match(output, /^\S+ quiet\[v2\]: \S+\t[0-9a-f-]{36}\tINFO\tquiet line$/m);
    assert.match(output, /^\S+ quiet\[v2\]: REPORT RequestId: .*Billed Duration/m);
  });

  it('keeps platform events beside the lines: builds, releases, config changes', async () => {
    const events = (await logs('lines=10000')).filter((e) => e.stream === 'event');
    const types = new Set(events.map((e) => e.type));
    for (const type of ['build', 'release']) assert.ok(types.has(type), `a ${type} event in ${JSON.stringify(events)}`);
    assert.ok(events.some((e) => e.type === 'release' && /v2 is live: Set API_SECRET/.test(e.line)), JSON.stringify(events));
  });

  it('drains the lines to a TCP listener as JSON lines', async () => {
    const received: Array<Record<string, unknown>> = [];
    let wake: (() => void) | undefined;
    const listener = net.createServer((socket) => {
      createInterface({ input: socket }).on('line', (line) => {
        received.push(JSON.parse(line));
        wake?.();
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const url = `tcp://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    const added = await harness.api('POST', '/apps/shop/drains', { url });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await invoke('talk', { n: 3000 });
    while (!received.some((r) => String(r.message).includes('\tprobe 3000 at'))) await new Promise<void>((resolve) => (wake = resolve));
    const probe = received.find((r) => String(r.message).includes('\tprobe 3000 at'));
    assert.equal(probe?.app, 'shop');
    assert.equal(probe?.function, 'talk');
    const listed = await harness.api('GET', '/apps/shop/drains');
    assert.equal(listed.body[0].url, url);
    assert.ok(listed.body[0].sent >= 1);
    assert.equal((await harness.api('DELETE', `/apps/shop/drains?url=${encodeURIComponent(url)}`)).status, 204);
    listener.close();
  });

  it('counts invocations on /metrics and in laambda metrics', async () => {
    const before = await talkInvocations();
    for (let n = 0; n < 5; n += 1) await invoke('talk', { n: 4000 + n });
    assert.equal((await talkInvocations()) - before, 5);
    const refused = await fetch(`${harness.server.controlUrl}/metrics`);
    assert.equal(refused.status, 403);

    const shown = cli(['metrics', '-a', 'shop', '--since', '1h']);
    let output = '';
    shown.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    assert.equal(await new Promise((resolve) => shown.on('close', resolve)), 0);
    assert.match(output, /^FUNCTION +INVOCATIONS +ERRORS +THROTTLES +TIMEOUTS +COLD +P50 +P90 +P99 +BILLED +MAX MEM +MAX CONC$/m);
    const row = /^talk +(\d+) +0 +0 +0 +\d+ +/m.exec(output);
    assert.ok(row !== null && Number(row[1]) >= 5, output);
    assert.match(output, /^  invocations [▁▂▃▄▅▆▇█ ]+ {2}max \d+\/min$/m);
  });

  it('never writes a config value into the log', async () => {
    await invoke('talk', { n: 2000 });
    const everything = await logs('lines=10000');
    assert.ok(everything.length > 20);
    assert.deepEqual(everything.filter((e) => e.line.includes(SECRET)), []);
  });
});
