import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'bin', 'laambda.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<Result> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('laambda server and the platform CLI', () => {
  let dir = '';
  let repo = '';
  let env: NodeJS.ProcessEnv = {};
  let server: ChildProcess | undefined;
  let serverExit: Promise<number | null> = Promise.resolve(null);
  let serverLog = '';
  let listening: { controlUrl: string; gatewayUrl: string; awsUrl: string; dataDir: string; adminToken?: string } | undefined;

  const cli = (args: string[], extra: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
    run(args, { cwd: extra.cwd ?? repo, env: { ...env, ...extra.env }, ...(extra.input === undefined ? {} : { input: extra.input }) });
  const ok = (result: Result) => assert.equal(result.code, 0, `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'laambda-platform-cli-'));
    repo = path.join(dir, 'shop');
    await mkdir(repo);
    execFileSync('git', ['init', '-q'], { cwd: repo });
    env = { ...process.env, HOME: dir, NO_COLOR: '1', LAAMBDA_CONFIG_DIR: path.join(dir, 'config'), LAAMBDA_LOG_LEVEL: 'warn' };
    for (const name of ['LAAMBDA_URL', 'LAAMBDA_TOKEN', 'LAAMBDA_DATA_DIR', 'LAAMBDA_ADMIN_TOKEN', 'XDG_CONFIG_HOME']) delete env[name];

    const child = spawn(
      process.execPath,
      [CLI, 'server', '--data-dir', path.join(dir, 'data'), '--port', '0', '--gateway-port', '0', '--aws-port', '0', '--json'],
      { cwd: dir, env },
    );
    server = child;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (serverLog += chunk));
    serverExit = new Promise((resolve) => child.on('close', resolve));
    // The --json line is the server's readiness event: it is printed once all three listen.
    for await (const line of createInterface({ input: child.stdout })) {
      const record = JSON.parse(line);
      if (record.type === 'listening') {
        listening = record;
        break;
      }
    }
    assert.ok(listening, `the server never said it was listening: ${serverLog}`);
  });

  after(async () => {
    if (server?.exitCode === null) server.kill('SIGKILL');
    await serverExit;
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on the ports it picked and creates the admin token on the first start', async () => {
    assert.ok(listening);
    for (const url of [listening.controlUrl, listening.gatewayUrl, listening.awsUrl]) {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(new URL(url).port, '0');
    }
    assert.match(listening.adminToken ?? '', /^lb_/);
    const health = await fetch(`${listening.controlUrl}/api/v1/health`);
    assert.equal(health.status, 200);
  });

  it('logs in with the token from standard input and stores it readable only by the user', async () => {
    assert.ok(listening);
    ok(await cli(['login', listening.controlUrl], { input: `${listening.adminToken}\n` }));
    const file = path.join(dir, 'config', 'credentials.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const whoami = await cli(['whoami', '--json']);
    ok(whoami);
    assert.equal(JSON.parse(whoami.stdout).admin, true);
  });

  it('refuses a wrong token at login without replacing the saved one', async () => {
    assert.ok(listening);
    const result = await cli(['login', listening.controlUrl, '--token', 'lb_wrong']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /✘ ERR_API_UNAUTHORIZED: /);
    ok(await cli(['whoami']));
  });

  it('creates an app, links the checkout with a laambda git remote, and lists it', async () => {
    const created = await cli(['apps:create', 'shop']);
    ok(created);
    assert.match(created.stdout, /Created shop/);
    assert.match(created.stderr, /Git remote laambda → /);
    const remote = execFileSync('git', ['remote', 'get-url', 'laambda'], { cwd: repo, encoding: 'utf8' }).trim();
    assert.equal(remote, `${listening?.controlUrl}/git/shop.git`);

    const apps = await cli(['apps', '--json']);
    ok(apps);
    assert.deepEqual(JSON.parse(apps.stdout).map((app: { name: string }) => app.name), ['shop']);
    const table = await cli(['apps']);
    assert.match(table.stdout, /^NAME +RELEASE +DOMAIN +URL +CREATED\nshop +— +— +http:\/\/shop\.localhost:\d+ +just now\n$/);
  });

  it('creates an app token that sees only its app', async () => {
    const created = await cli(['tokens:create', '--app', 'shop', '--name', 'ci']);
    ok(created);
    const token = created.stdout.trim();
    assert.match(token, /^lb_\S+$/, 'the token alone on stdout');
    assert.match(created.stderr, /shown only once/);
    const scoped = { LAAMBDA_TOKEN: token };
    const whoami = await cli(['whoami', '--json'], { env: scoped });
    ok(whoami);
    assert.deepEqual({ ...JSON.parse(whoami.stdout), tokenId: undefined }, { tokenId: undefined, name: 'ci', app: 'shop', admin: false });
    const forbidden = await cli(['apps:create', 'other'], { env: scoped });
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /✘ ERR_API_FORBIDDEN: /);
  });

  it('sets, reads and unsets config, each change a release in the changelog', async () => {
    const set = await cli(['config:set', 'FOO=bar', 'MSG=hello world']);
    ok(set);
    assert.match(set.stdout, /Set FOO and MSG on shop — released v1/);
    const value = await cli(['config:get', 'MSG']);
    ok(value);
    assert.equal(value.stdout, 'hello world\n');
    const usage = await cli(['config:set', 'BROKEN']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /✘ ERR_CONFIG_KEY_INVALID: expected KEY=VALUE, got "BROKEN"/);
    ok(await cli(['config:unset', 'MSG', '-a', 'shop']));
    const config = await cli(['config', '--json']);
    assert.deepEqual(JSON.parse(config.stdout), { FOO: 'bar' });
    const missing = await cli(['config:get', 'MSG']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');

    const releases = await cli(['releases']);
    ok(releases);
    const lines = releases.stdout.trim().split('\n');
    assert.equal(lines[0], '=== shop releases');
    assert.match(lines[1] ?? '', /^v2 +\S.* +admin +just now +\(live\)$/);
    assert.match(lines[2] ?? '', /^v1 +\S.* +admin +just now$/);
    const json = await cli(['releases', '-n', '1', '--json']);
    const [latest] = JSON.parse(json.stdout);
    assert.equal(latest.version, 2);
    assert.equal(latest.current, true);
    assert.ok(!Number.isNaN(Date.parse(latest.createdAt)), 'times are ISO strings in --json');
  });

  it('manages queues, buckets and objects, and event sources as releases', async () => {
    ok(await cli(['queues:create', 'jobs', '--dlq', 'jobs-dlq', '--max-receive-count', '1', '--visibility-timeout', '0']));
    const sent = await cli(['queues:send', 'jobs', '-'], { input: '{"order":1}' });
    ok(sent);
    assert.match(sent.stdout, /✔ sent [0-9a-f-]{36} to jobs/);
    const queues = await cli(['queues']);
    ok(queues);
    assert.match(queues.stdout, /^NAME +MESSAGES +IN FLIGHT +DELAYED +OLDEST +VISIBILITY +DEAD LETTERS$/m);
    assert.match(queues.stdout, /^jobs +1 +0 +0 +(?:—|\d+ s) +0 s +jobs-dlq after 1$/m);
    // Two receives with the SDK (visibility 0): the second moves the message to the DLQ; redrive brings it back.
    const key = JSON.parse((await cli(['keys:create', '--json'])).stdout);
    const sqs = new SQSClient({ endpoint: key.endpointUrl, region: key.region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'jobs' }));
    assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.length, 1);
    assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.length ?? 0, 0);
    sqs.destroy();
    const redriven = await cli(['queues:redrive', 'jobs-dlq', '--json']);
    assert.deepEqual(JSON.parse(redriven.stdout), { moved: 1 });
    const purged = await cli(['queues:purge', 'jobs']);
    assert.match(purged.stdout, /purged 1 message from jobs/);
    const notDlq = await cli(['queues:redrive', 'jobs']);
    assert.equal(notDlq.code, 1);
    assert.match(notDlq.stderr, /✘ ERR_QUEUE_INVALID: jobs is not the dead-letter queue of any queue/);
    const lonelyCount = await cli(['queues:create', 'solo', '--max-receive-count', '2']);
    assert.match(lonelyCount.stderr, /needs a dead-letter queue to move messages to: name it with --dlq/);

    ok(await cli(['buckets:create', 'media']));
    ok(await cli(['buckets:create', 'media']));
    await writeFile(path.join(dir, 'note.txt'), 'hello bucket\n');
    const put = await cli(['objects:put', 'media', 'notes/2026/note 1.txt', path.join(dir, 'note.txt'), '--content-type', 'text/plain']);
    ok(put);
    assert.match(put.stdout, /stored media\/notes\/2026\/note 1.txt \(13 B, ETag "[0-9a-f]{32}"\)/);
    const objects = await cli(['objects', 'media', '--prefix', 'notes/']);
    assert.match(objects.stdout, /^notes\/2026\/note 1.txt +13 B +text\/plain +just now$/m);
    const got = await cli(['objects:get', 'media', 'notes/2026/note 1.txt']);
    assert.equal(got.stdout, 'hello bucket\n');
    const missing = await cli(['objects:get', 'media', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /✘ ERR_OBJECT_NOT_FOUND/);

    await writeFile(path.join(repo, 'Procfile'), 'work: index.handler\n');
    await writeFile(path.join(repo, 'index.js'), 'exports.handler = async () => "ok";\n');
    ok(await cli(['deploy']));
    const added = await cli(['event-sources:add', 'work', 'schedule:cron(0 12 * * ? *)']);
    ok(added);
    assert.match(added.stdout, /✔ shop work: added schedule:cron\(0 12 \* \* \? \*\) — released v\d+/);
    const listed = await cli(['event-sources', 'work']);
    assert.match(listed.stdout, /^work +schedule:cron\(0 12 \* \* \? \*\) +cli +next \d{4}-\d\d-\d\dT12:00:00.000Z$/m);
    assert.match(listed.stdout, /^work +http:ANY:\/work +cli +—$/m);
    const schedules = await cli(['schedules']);
    assert.match(schedules.stdout, /^work +cron\(0 12 \* \* \? \*\) +\d{4}-\d\d-\d\dT12:00:00.000Z +—$/m);
    const bad = await cli(['event-sources:add', 'work', 'queue:jobs?batch=0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /✘ ERR_EVENT_SOURCE_INVALID: Invalid event source "queue:jobs\?batch=0": batchSize must be a whole number from 1 to 10000/);
    const cleared = await cli(['event-sources:clear', 'work', '--json']);
    assert.deepEqual(JSON.parse(cleared.stdout).sources, []);
  });

  it('stops gracefully on SIGTERM with exit code 0', async () => {
    server?.kill('SIGTERM');
    assert.equal(await serverExit, 0, serverLog);
  });
});
