import assert from 'node:assert/strict';
import { styleText } from 'node:util';
import { describe, it } from 'node:test';
import type { ApiFunction, ApiRelease } from '../api/client.ts';
import { formatDeployEvent } from './commands/deploy.ts';
import { functionRows } from './commands/functions.ts';
import { keyExports } from './commands/keys.ts';
import { releaseLines } from './commands/releases.ts';
import { serverBanner } from './commands/server.ts';
import { formatBytes, keyValues, listing, relativeTime, shellQuote, table } from './format.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();
const plain = { isTTY: false } as NodeJS.WriteStream;

describe('CLI output formatting', () => {
  it('aligns table columns two spaces apart, without trailing spaces', () => {
    const text = table(
      ['NAME', 'RUNTIME', 'ROUTES'],
      [
        ['api', 'nodejs', 'GET /users/{id}'],
        ['worker-long', 'python', ''],
      ],
    );
    assert.equal(text, 'NAME         RUNTIME  ROUTES\napi          nodejs   GET /users/{id}\nworker-long  python\n');
  });

  it('measures coloured cells by what shows, not by their escape codes', () => {
    const text = table(null, [
      [styleText('green', 'ok', { validateStream: false }), 'x'],
      ['failed', 'y'],
    ]);
    const [first, second] = text.split('\n');
    assert.equal(first?.replace(/\x1b\[[0-9;]*m/g, ''), 'ok      x');
    assert.equal(second, 'failed  y');
  });

  it('prints nothing for an empty table without headers', () => {
    assert.equal(table(null, []), '');
  });

  it('aligns key-value blocks', () => {
    assert.equal(keyValues([['URL', 'http://x'], ['Git URL', 'http://y']]), 'URL:      http://x\nGit URL:  http://y\n');
  });

  it('shows times relative to now', () => {
    assert.equal(relativeTime(ago(3), NOW), 'just now');
    assert.equal(relativeTime(ago(42), NOW), '42 seconds ago');
    assert.equal(relativeTime(ago(60), NOW), '1 minute ago');
    assert.equal(relativeTime(ago(3 * 60 + 20), NOW), '3 minutes ago');
    assert.equal(relativeTime(ago(2 * 3600), NOW), '2 hours ago');
    assert.equal(relativeTime(ago(86_400), NOW), '1 day ago');
    assert.equal(relativeTime(ago(400 * 86_400), NOW), '1 year ago');
    assert.equal(relativeTime(ago(-120), NOW), 'in 2 minutes');
    assert.equal(relativeTime(null, NOW), '—');
  });

  it('prints releases as a changelog with the live one marked', () => {
    const release = (version: number, description: string, seconds: number, current = false): ApiRelease => ({
      version,
      kind: 'config',
      description,
      author: 'admin',
      createdAt: ago(seconds),
      artifact: null,
      buildId: null,
      current,
    });
    const text = releaseLines([release(3, 'Set FOO config vars', 120, true), release(2, 'Deploy b_1a2b', 3600)], NOW, plain);
    assert.equal(text, 'v3  Set FOO config vars  admin  2 minutes ago  (live)\nv2  Deploy b_1a2b        admin  1 hour ago\n');
  });

  it('lists a function with its settings, routes and URL', () => {
    const fn: ApiFunction = {
      name: 'api',
      lambdaName: 'shop-api',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:shop-api',
      handler: 'index.handler',
      runtime: 'nodejs',
      memoryMB: 256,
      timeoutS: 10,
      concurrency: 100,
      routes: ['GET /users/{id}', 'POST /users'],
      url: 'http://api.lambda-url.localhost:8080/',
    };
    assert.deepEqual(functionRows([fn, { ...fn, name: 'worker', routes: [], url: null }]), [
      ['api', 'nodejs', '256 MB', '10 s', '100', 'GET /users/{id}, POST /users, http://api.lambda-url.localhost:8080/'],
      ['worker', 'nodejs', '256 MB', '10 s', '100', '—'],
    ]);
  });

  it('prints a new access key as export lines, quoted for the shell', () => {
    const text = keyExports({
      accessKeyId: 'AKIALAAMBDA',
      secretAccessKey: 'a/b+c',
      app: 'shop',
      createdAt: ago(0),
      endpointUrl: 'http://127.0.0.1:4566',
      region: 'us-east-1',
    });
    assert.equal(
      text,
      'export AWS_ACCESS_KEY_ID=AKIALAAMBDA\nexport AWS_SECRET_ACCESS_KEY=a/b+c\nexport AWS_ENDPOINT_URL=http://127.0.0.1:4566\nexport AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\n',
    );
  });

  it('prints the build as it streams: steps, indented log lines, then the release or the error', () => {
    const release: ApiRelease = { version: 4, kind: 'deploy', description: 'Deploy b_1', author: 'admin', createdAt: ago(0), artifact: 'sha256:x', buildId: 'b_1', current: true };
    const text = [
      formatDeployEvent({ type: 'step', step: 'extract', message: 'Receiving app (3 files, 116 B)' }, plain),
      formatDeployEvent({ type: 'step', step: 'deps', message: '-----> Dependencies: cache hit' }, plain),
      formatDeployEvent({ type: 'log', step: 'deps', message: 'added 20 packages\naudited 21' }, plain),
      formatDeployEvent({ type: 'result', ok: true, build: 'b_1', release }, plain),
      formatDeployEvent({ type: 'result', ok: false, build: 'b_2', error: { code: 'ERR_BUILD_INIT_FAILED', message: 'hello: SyntaxError', fix: 'Fix it.' } }, plain),
    ].join('');
    assert.equal(
      text,
      '-----> Receiving app (3 files, 116 B)\n-----> Dependencies: cache hit\n       added 20 packages\n       audited 21\n✔ Released v4 · Deploy b_1\n' +
        '✘ ERR_BUILD_INIT_FAILED: hello: SyntaxError\n  fix: Fix it.\n',
    );
  });

  it('prints the admin token in the server banner only when this start created it, with the next steps', () => {
    const urls = { controlUrl: 'http://127.0.0.1:8000', gatewayUrl: 'http://127.0.0.1:8080', awsUrl: 'http://127.0.0.1:4566', dataDir: '/srv/data' };
    const first = serverBanner({ ...urls, adminToken: 'lb_secret' }, plain);
    assert.match(first, /Admin token \(shown once — store it now\):\n {4}lb_secret\n/);
    assert.match(first, /control: {2}http:\/\/127\.0\.0\.1:8000 /);
    assert.match(first, /laambda login http:\/\/127\.0\.0\.1:8000/);
    assert.match(first, /laambda apps:create NAME/);
    assert.match(first, /git remote add laambda http:\/\/127\.0\.0\.1:8000\/git\/NAME\.git/);
    const later = serverBanner(urls, plain);
    assert.doesNotMatch(later, /Admin token|lb_/);
  });

  it('quotes shell values only when needed', () => {
    assert.equal(shellQuote('plain-value_1.2'), 'plain-value_1.2');
    assert.equal(shellQuote('hello world'), "'hello world'");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote(''), "''");
  });

  it('formats sizes and lists', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MB');
    assert.equal(listing(['A']), 'A');
    assert.equal(listing(['A', 'B', 'C']), 'A, B and C');
  });
});
