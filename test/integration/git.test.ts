import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import * as tar from 'tar';
import type { Logger } from '../../src/core/ports.ts';
import { createGitHandler, removeRepo, type GitAccess } from '../../src/git/index.ts';

const TOKEN = `lb_${randomBytes(12).toString('hex')}`;

interface DeployCall {
  app: string;
  query: URLSearchParams;
  contentType: string | undefined;
  /** Path → sha256 of the content. */
  files: Map<string, string>;
}

interface GitRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let root: string;
let home: string;
let reposDir: string;
let server: http.Server;
let base: string;
const deploys: DeployCall[] = [];
const gitRequests: GitRequest[] = [];
/** Emits 'request' as each git request arrives and 'deploy' as the stub takes an upload. */
const arrivals = new EventEmitter();

async function until(event: 'request' | 'deploy', condition: () => boolean): Promise<void> {
  while (!condition()) await once(arrivals, event);
}
const accesses: Array<{ app: string; access: GitAccess }> = [];
const logLines: string[] = [];
const versions = new Map<string, number>();
/** Apps whose next deploy fails. */
const failNext = new Set<string>();
/** Per app: the stub holds its answer after the first step until this resolves. */
const holds = new Map<string, Promise<void>>();

function captureLogger(bindings: Record<string, unknown> = {}): Logger {
  const record =
    (level: string) =>
    (fields: unknown, message?: string) => {
      logLines.push(JSON.stringify({ level, ...bindings, fields, message }, (_key, value) => (value instanceof Error ? { message: value.message, stack: value.stack } : value)));
    };
  return {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    child: (more) => captureLogger({ ...bindings, ...more }),
  } as Logger;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function listFiles(dir: string, prefix = ''): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) for (const [name, hash] of await listFiles(full, relative)) files.set(name, hash);
    else files.set(relative, sha256(await readFile(full)));
  }
  return files;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Stands in for POST /api/v1/apps/APP/deploys: checks the token, untars, answers ndjson. */
async function deployStub(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', base);
  const match = /^\/api\/v1\/apps\/([a-z0-9-]+)\/deploys$/.exec(url.pathname);
  if (req.method !== 'POST' || !match?.[1]) return json(res, 404, { statusCode: 404, code: 'ERR_APP_NOT_FOUND', message: 'no such route' });
  const app = match[1];
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    return json(res, 401, { statusCode: 401, code: 'ERR_API_UNAUTHORIZED', message: 'bad token', fix: 'send a token' });
  }
  const dir = await mkdtemp(path.join(root, 'deploy-'));
  await pipeline(req, tar.x({ cwd: dir }));
  const files = await listFiles(dir);
  deploys.push({ app, query: url.searchParams, contentType: req.headers['content-type'], files });
  arrivals.emit('deploy');
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const send = (event: unknown) => res.write(`${JSON.stringify(event)}\n`);
  send({ type: 'step', step: 'extract', message: `-----> Receiving ${files.size} files` });
  await holds.get(app);
  send({ type: 'log', step: 'dependencies', message: 'up to date, audited 0 packages' });
  send({ type: 'step', step: 'dependencies', message: '-----> Dependencies: none' });
  if (failNext.delete(app)) {
    send({
      type: 'result',
      ok: false,
      build: 'b_failed',
      error: { code: 'ERR_APP_PROCFILE_INVALID', message: 'Procfile line 1 is not name: module.handler', fix: 'Write each Procfile line as `name: module.handler`' },
    });
  } else {
    const version = (versions.get(app) ?? 0) + 1;
    versions.set(app, version);
    send({ type: 'result', ok: true, build: `b_${version}`, release: { version, kind: 'deploy', description: url.searchParams.get('description'), current: true } });
  }
  res.end();
}

/** Runs git as a user would, with a private HOME and no system config; `onStderr` sees output as it comes. */
function git(cwd: string, args: string[], onStderr?: (soFar: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', 'user.name=Pat Pusher', '-c', 'user.email=pat@example.com', '-c', 'init.defaultBranch=main', ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function gitOk(cwd: string, args: string[]): Promise<string> {
  const run = await git(cwd, args);
  assert.equal(run.code, 0, `git ${args.join(' ')} failed:\n${run.stderr}`);
  return run.stdout.trim();
}

function remoteUrl(app: string, token = TOKEN): string {
  return `${base.replace('http://', `http://pat:${token}@`)}/git/${app}.git`;
}

/** A fresh working copy with the given files committed. */
async function makeRepo(files: Record<string, string | Buffer>, message = 'First version'): Promise<string> {
  const dir = await mkdtemp(path.join(root, 'work-'));
  await gitOk(dir, ['init', '--quiet']);
  await writeFiles(dir, files);
  await gitOk(dir, ['add', '.']);
  await gitOk(dir, ['commit', '--quiet', '-m', message]);
  return dir;
}

async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

/** The value of a ref in the server's bare repository, or undefined. */
function serverRef(app: string, ref: string): string | undefined {
  const run = spawnSync('git', ['--git-dir', path.join(reposDir, `${app}.git`), 'rev-parse', '--verify', '--quiet', ref], {
    env: { PATH: process.env.PATH ?? '', HOME: home, GIT_CONFIG_NOSYSTEM: '1' },
    encoding: 'utf8',
  });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

const APP_FILES = {
  Procfile: 'hello: index.handler\n',
  'index.js': 'exports.handler = async () => ({ statusCode: 200, body: "hi" });\n',
  'lib/util.js': 'module.exports = 1;\n',
  '.gitignore': 'secret.txt\n',
};

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'laambda-git-'));
  home = path.join(root, 'home');
  reposDir = path.join(root, 'data', 'git');
  await mkdir(home);
  const handler = createGitHandler({
    reposDir,
    async authorize(app, token, access) {
      accesses.push({ app, access });
      if (token !== TOKEN) return 'unauthorized';
      return app === 'ghost' ? 'not-found' : 'ok';
    },
    deployUrl: (app) => (app === 'astray' ? `${base}/api/v1/nowhere` : `${base}/api/v1/apps/${app}/deploys`),
    logger: captureLogger(),
  });
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/git/')) {
      const request = { method: req.method ?? '', url: req.url, headers: req.headers };
      gitRequests.push(request);
      arrivals.emit('request', request);
    }
    handler(req, res).then(
      (handled) => (handled ? undefined : deployStub(req, res)),
      (error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe('git push to deploy', () => {
  it('deploys a push to main, streaming the build back to the pusher as remote: lines', async () => {
    const work = await makeRepo({ ...APP_FILES, 'secret.txt': 'ignored' }, 'Say hi');
    await writeFile(path.join(work, 'notes.txt'), 'untracked');
    const sha = await gitOk(work, ['rev-parse', 'HEAD']);
    // The stub holds the build after its first step until the pusher has shown that step:
    // proof that output streams while the build runs rather than arriving at the end.
    let shown!: () => void;
    holds.set('shop', new Promise<void>((resolve) => (shown = resolve)));
    const push = await git(work, ['push', remoteUrl('shop'), 'main'], (soFar) => {
      if (soFar.includes('remote: -----> Receiving 4 files')) shown();
    });
    holds.delete('shop');
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /remote: -----> Receiving 4 files\s*\n/);
    assert.match(push.stderr, /remote: up to date, audited 0 packages\s*\n/);
    assert.match(push.stderr, /remote: -----> Dependencies: none\s*\n/);
    assert.match(push.stderr, /remote: -----> Released v1\s*\n/);
    assert.match(push.stderr, /\* \[new branch\]\s+main -> main/);

    const call = deploys.at(-1)!;
    assert.equal(call.app, 'shop');
    assert.equal(call.contentType, 'application/x-tar');
    assert.equal(call.query.get('source'), 'git');
    assert.equal(call.query.get('revision'), sha);
    assert.equal(call.query.get('description'), 'Say hi');
    assert.deepEqual([...call.files.keys()].sort(), ['.gitignore', 'Procfile', 'index.js', 'lib/util.js']);
    assert.equal(call.files.get('Procfile'), sha256(Buffer.from(APP_FILES.Procfile)));
    assert.equal(serverRef('shop', 'refs/heads/main'), sha);
    assert.ok(accesses.some((entry) => entry.app === 'shop' && entry.access === 'write'));
  });

  it('deploys a second, fast-forward push as the next release', async () => {
    const work = await makeRepo(APP_FILES);
    assert.equal((await git(work, ['push', remoteUrl('again'), 'main'])).code, 0);
    await writeFiles(work, { 'index.js': 'exports.handler = async () => "v2";\n' });
    await gitOk(work, ['commit', '--quiet', '-am', 'Second version']);
    const sha = await gitOk(work, ['rev-parse', 'HEAD']);
    const push = await git(work, ['push', remoteUrl('again'), 'main']);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /remote: -----> Released v2/);
    assert.match(push.stderr, /[0-9a-f]+\.\.[0-9a-f]+\s+main -> main/);
    assert.equal(deploys.at(-1)!.query.get('revision'), sha);
    assert.equal(deploys.at(-1)!.query.get('description'), 'Second version');
    assert.equal(serverRef('again', 'refs/heads/main'), sha);
  });

  it('fails the push when the build fails, prints the error, and leaves the branch where it was', async () => {
    const work = await makeRepo(APP_FILES);
    assert.equal((await git(work, ['push', remoteUrl('flaky'), 'main'])).code, 0);
    const deployed = await gitOk(work, ['rev-parse', 'HEAD']);
    await writeFiles(work, { Procfile: 'not a procfile\n' });
    await gitOk(work, ['commit', '--quiet', '-am', 'Break it']);
    failNext.add('flaky');
    const push = await git(work, ['push', remoteUrl('flaky'), 'main']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /remote: -----> Receiving 4 files/);
    assert.match(push.stderr, /remote: ✘ ERR_APP_PROCFILE_INVALID: Procfile line 1 is not name: module.handler/);
    assert.match(push.stderr, /remote: {3}fix: Write each Procfile line/);
    assert.match(push.stderr, /\[remote rejected\]\s+main -> main \(pre-receive hook declined\)/);
    assert.doesNotMatch(push.stderr, /Released/);
    assert.equal(serverRef('flaky', 'refs/heads/main'), deployed);
  });

  it('fails the push with the error when the deploy endpoint refuses the upload', async () => {
    const work = await makeRepo(APP_FILES);
    const push = await git(work, ['push', remoteUrl('astray'), 'main']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /remote: ✘ ERR_APP_NOT_FOUND: no such route/);
    assert.equal(serverRef('astray', 'refs/heads/main'), undefined);
  });

  it('serves concurrent pushes to one app one at a time and rejects the one whose branch moved', async () => {
    const first = await makeRepo(APP_FILES);
    assert.equal((await git(first, ['push', remoteUrl('busy'), 'main'])).code, 0);
    const second = path.join(root, `busy-${randomBytes(4).toString('hex')}`);
    await gitOk(root, ['clone', '--quiet', remoteUrl('busy'), second]);
    await writeFiles(first, { 'index.js': 'exports.handler = async () => "first";\n' });
    await gitOk(first, ['commit', '--quiet', '-am', 'First pusher']);
    await writeFiles(second, { 'index.js': 'exports.handler = async () => "second";\n' });
    await gitOk(second, ['commit', '--quiet', '-am', 'Second pusher']);
    const winner = await gitOk(first, ['rev-parse', 'HEAD']);

    // The first push is held mid-build until the second push's upload has reached the server.
    let release!: () => void;
    holds.set('busy', new Promise<void>((resolve) => (release = resolve)));
    const deploysBefore = deploys.length;
    const firstPush = git(first, ['push', remoteUrl('busy'), 'main']);
    await until('deploy', () => deploys.length > deploysBefore);
    const uploads = () => gitRequests.filter((request) => request.method === 'POST' && request.url === '/git/busy.git/git-receive-pack').length;
    const uploadsBefore = uploads();
    const secondPush = git(second, ['push', remoteUrl('busy'), 'main']);
    await until('request', () => uploads() > uploadsBefore);
    release();
    holds.delete('busy');

    const [won, lost] = await Promise.all([firstPush, secondPush]);
    assert.equal(won.code, 0, won.stderr);
    assert.notEqual(lost.code, 0);
    assert.match(lost.stderr, /remote: ✘ push rejected: main changed on the server while you pushed/);
    assert.equal(deploys.length, deploysBefore + 1, 'only the first push was deployed');
    assert.equal(serverRef('busy', 'refs/heads/main'), winner);
  });

  it('refuses a push to another branch and says which branch to push', async () => {
    const work = await makeRepo(APP_FILES);
    const before = deploys.length;
    const push = await git(work, ['push', remoteUrl('branchy'), 'main:feature']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /remote: ✘ push rejected: laambda deploys only the main or master branch, not branch "feature"/);
    assert.match(push.stderr, /remote: {3}fix: push it as main: git push <remote> feature:main/);
    assert.equal(deploys.length, before);
    assert.equal(serverRef('branchy', 'refs/heads/feature'), undefined);
  });

  it('refuses to delete the deployed branch', async () => {
    const work = await makeRepo(APP_FILES);
    assert.equal((await git(work, ['push', remoteUrl('keeper'), 'main'])).code, 0);
    const push = await git(work, ['push', remoteUrl('keeper'), ':main']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /remote: ✘ push rejected: main cannot be deleted/);
    assert.ok(serverRef('keeper', 'refs/heads/main'));
  });

  it('deploys master too and points the repository HEAD at it', async () => {
    const work = await makeRepo(APP_FILES);
    await gitOk(work, ['branch', '-m', 'master']);
    const push = await git(work, ['push', remoteUrl('classic'), 'master']);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /remote: -----> Released v1/);
    const head = spawnSync('git', ['--git-dir', path.join(reposDir, 'classic.git'), 'symbolic-ref', 'HEAD'], { encoding: 'utf8' });
    assert.equal(head.stdout.trim(), 'refs/heads/master');
  });

  it('streams a large push sent with chunked transfer encoding', async () => {
    const blob = randomBytes(1536 * 1024);
    const work = await makeRepo({ ...APP_FILES, 'assets/blob.bin': blob });
    const push = await git(work, ['push', remoteUrl('big'), 'main']);
    assert.equal(push.code, 0, push.stderr);
    assert.equal(deploys.at(-1)!.files.get('assets/blob.bin'), sha256(blob));
    // git probes with a tiny POST first, then sends the pack without a length.
    const uploads = gitRequests.filter((request) => request.method === 'POST' && request.url === '/git/big.git/git-receive-pack');
    assert.ok(uploads.some((request) => request.headers['transfer-encoding'] === 'chunked' && request.headers['content-length'] === undefined), JSON.stringify(uploads.map((request) => request.headers)));
  });

  it('fails a push with a wrong token as an authentication error', async () => {
    const work = await makeRepo(APP_FILES);
    const before = deploys.length;
    const push = await git(work, ['push', remoteUrl('shop', 'lb_wrong'), 'main']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /Authentication failed/);
    assert.equal(deploys.length, before);
  });

  it('answers 401 with a Basic challenge without a token, so git asks for one', async () => {
    const response = await fetch(`${base}/git/shop.git/info/refs?service=git-receive-pack`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Basic realm="laambda"');
    const body = (await response.json()) as { code: string };
    assert.equal(body.code, 'ERR_API_UNAUTHORIZED');
  });

  it('reports an unknown app as not found', async () => {
    const work = await makeRepo(APP_FILES);
    const push = await git(work, ['push', remoteUrl('ghost'), 'main']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /repository '.*\/git\/ghost\.git\/' not found/);
    const response = await fetch(`${base}/git/ghost.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { code: string }).code, 'ERR_APP_NOT_FOUND');
  });

  it('serves clone and fetch with a token (gzip-encoded requests too), and refuses them without', async () => {
    const work = await makeRepo(APP_FILES);
    // Forty commits, each the tip of a branch on the server: a clone then asks for more than
    // 1 KB of wants, which git sends gzip-compressed.
    for (let i = 0; i < 40; i += 1) await gitOk(work, ['commit', '--quiet', '--allow-empty', '-m', `Step ${i}`]);
    assert.equal((await git(work, ['push', remoteUrl('clonable'), 'main'])).code, 0);
    for (let i = 1; i <= 40; i += 1) {
      const id = await gitOk(work, ['rev-parse', `HEAD~${i}`]);
      spawnSync('git', ['--git-dir', path.join(reposDir, 'clonable.git'), 'update-ref', `refs/heads/b${i}`, id]);
    }
    const copy = path.join(root, `clone-${randomBytes(4).toString('hex')}`);
    const clone = await git(root, ['clone', remoteUrl('clonable'), copy]);
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal(await readFile(path.join(copy, 'Procfile'), 'utf8'), APP_FILES.Procfile);
    assert.ok(accesses.some((entry) => entry.app === 'clonable' && entry.access === 'read'));
    assert.ok(
      gitRequests.some((request) => request.url === '/git/clonable.git/git-upload-pack' && request.headers['content-encoding'] === 'gzip'),
      'a gzip-encoded upload-pack request was served',
    );

    await writeFiles(work, { 'index.js': 'exports.handler = async () => "fetched";\n' });
    await gitOk(work, ['commit', '--quiet', '-am', 'Newer']);
    assert.equal((await git(work, ['push', remoteUrl('clonable'), 'main'])).code, 0);
    await gitOk(copy, ['pull', '--quiet', '--ff-only']);
    assert.equal(await gitOk(copy, ['rev-parse', 'HEAD']), await gitOk(work, ['rev-parse', 'HEAD']));

    const anonymous = await git(root, ['clone', `${base}/git/clonable.git`, path.join(root, 'anonymous')]);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /could not read Username|Authentication failed/);
  });

  it('recreates the repository of an app after removeRepo', async () => {
    const work = await makeRepo(APP_FILES);
    assert.equal((await git(work, ['push', remoteUrl('reborn'), 'main'])).code, 0);
    await removeRepo(reposDir, 'reborn');
    assert.equal(serverRef('reborn', 'refs/heads/main'), undefined);
    const push = await git(work, ['push', remoteUrl('reborn'), 'main']);
    assert.equal(push.code, 0, push.stderr);
    assert.match(push.stderr, /\* \[new branch\]\s+main -> main/);
  });

  it('answers only /git/ paths, and 404 for names that are not app names', async () => {
    const auth = { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` };
    for (const bad of ['/git/Shop.git/info/refs', '/git/a_b.git/info/refs', '/git/']) {
      const response = await fetch(`${base}${bad}`, { headers: auth });
      assert.equal(response.status, 404, bad);
      await response.arrayBuffer();
    }
    // Not a git path: the handler answers false and the stub answers instead.
    const other = await fetch(`${base}/api/v1/apps/shop/deploys`);
    assert.equal(other.status, 404);
    assert.equal(((await other.json()) as { message: string }).message, 'no such route');
  });

  it('keeps the token out of the logs and leaves no git process behind', () => {
    assert.ok(logLines.length > 0);
    const all = logLines.join('\n');
    assert.ok(!all.includes(TOKEN), 'the token is not logged');
    assert.ok(!all.includes(Buffer.from(`pat:${TOKEN}`).toString('base64')), 'the Authorization header is not logged');
    const children = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((line) => line.trim() !== '' && !/\bps$/.test(line.trim()));
    assert.deepEqual(children, []);
  });
});
