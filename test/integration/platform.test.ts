// `laambda server` through its API and gateway: releases, config, rollback, resources, token
// scopes, encryption at rest, the atomic switch under load, and a restart.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from '../support/dev.ts';
import { copyApp, REPO_ROOT, ServerHarness } from '../support/server.ts';

const HELLO = path.join(REPO_ROOT, 'examples', 'hello-node');

/** Every file under a directory, for grepping the data dir. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('laambda server', () => {
  let harness: ServerHarness;
  let appDir: string;

  before(async () => {
    harness = await ServerHarness.start();
    appDir = copyApp(HELLO);
    assert.equal((await harness.api('POST', '/apps', { name: 'hello' })).status, 201);
  });
  after(async () => {
    await harness.close();
    rmSync(harness.dataDir, { recursive: true, force: true });
    rmSync(appDir, { recursive: true, force: true });
  });

  it('deploys an app and serves its routes through the gateway by Host', async () => {
    assert.equal(await harness.deployOk('hello', appDir), 1);
    const reply = await harness.get('hello', '/hello?name=Ada');
    assert.equal(reply.status, 200);
    assert.equal(reply.json().message, 'Hello, Ada!');
    assert.equal((await harness.get('nope', '/hello')).status, 404);
  });

  it("serves an app on its custom domain", async () => {
    assert.equal((await harness.api('POST', '/apps', { name: 'shop', domain: 'Shop.Example.test' })).status, 201);
    await harness.deployOk('shop', appDir);
    const port = new URL(harness.server.gatewayUrl).port;
    const reply = await request(`${harness.server.gatewayUrl}/hello?name=Shop`, { host: `shop.example.test:${port}` });
    assert.equal(reply.status, 200);
    assert.equal(reply.json().message, 'Hello, Shop!');
    const taken = await harness.api('POST', '/apps', { name: 'shop2', domain: 'shop.example.test' });
    assert.equal(taken.status, 409);
    // A function URL: FN.lambda-url.APP.localhost reaches the function on any path.
    writeFileSync(path.join(appDir, 'laambda.json'), JSON.stringify({ functions: { hello: { url: true } } }));
    try {
      await harness.deployOk('shop', appDir);
    } finally {
      rmSync(path.join(appDir, 'laambda.json'));
    }
    const fn = (await harness.api('GET', '/apps/shop/functions')).body[0];
    assert.equal(fn.url, `http://hello.lambda-url.shop.localhost:${port}/`);
    const viaUrl = await request(`${harness.server.gatewayUrl}/any/path?name=Url`, { host: `hello.lambda-url.shop.localhost:${port}` });
    assert.equal(viaUrl.status, 200);
    assert.equal(viaUrl.json().message, 'Hello, Url!');
    assert.equal((await harness.api('DELETE', '/apps/shop?confirm=shop')).status, 204);
    assert.equal((await request(`${harness.server.gatewayUrl}/hello`, { host: `shop.example.test:${port}` })).status, 404);
  });

  it('makes a release per config change, visible to the next invocation, encrypted at rest', async () => {
    const secret = `Howdy-${Date.now().toString(36)}-sekrit`;
    const set = await harness.api('PATCH', '/apps/hello/config', { GREETING: secret });
    assert.equal(set.status, 200);
    assert.equal(set.body.release.kind, 'config');
    assert.equal((await harness.get('hello', '/hello?name=Ada')).json().message, `${secret}, Ada!`);
    assert.deepEqual((await harness.api('GET', '/apps/hello/config')).body, { GREETING: secret });
    for (const file of filesUnder(harness.dataDir)) {
      assert.ok(!readFileSync(file).includes(secret), `${file} holds the config value in clear`);
    }
    const unset = await harness.api('PATCH', '/apps/hello/config', { GREETING: null });
    assert.deepEqual(unset.body.config, {});
    assert.equal((await harness.get('hello', '/hello?name=Ada')).json().message, 'Hello, Ada!');
  });

  it('refuses reserved or malformed config keys', async () => {
    const reserved = await harness.api('PATCH', '/apps/hello/config', { AWS_REGION: 'eu-west-1' });
    assert.equal(reserved.status, 400);
    assert.equal(reserved.body.code, 'ERR_CONFIG_KEY_INVALID');
    assert.equal((await harness.api('PATCH', '/apps/hello/config', { '1BAD': 'x' })).body.code, 'ERR_CONFIG_KEY_INVALID');
  });

  it('validates resources against Lambda ranges and applies them as a release', async () => {
    const bad = await harness.api('PATCH', '/apps/hello/functions/hello', { memoryMB: 64 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'ERR_FUNCTION_CONFIG_INVALID');
    const good = await harness.api('PATCH', '/apps/hello/functions/hello', { memoryMB: 512, timeoutS: 10 });
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body.function.memoryMB, 512);
    assert.equal(good.body.release.kind, 'resource');
    const fns = (await harness.api('GET', '/apps/hello/functions')).body;
    assert.equal(fns[0].memoryMB, 512);
    assert.equal(fns[0].timeoutS, 10);
    assert.equal(fns[0].lambdaName, 'hello-hello');
  });

  it('keeps the live release serving when a deploy fails to build or to init', async () => {
    const before = (await harness.api('GET', '/apps/hello/releases')).body[0].version;
    const broken = copyApp(HELLO);
    try {
      writeFileSync(path.join(broken, 'index.js'), 'exports.handler = async () => { return "unclosed ;\n');
      const events = await harness.deploy('hello', broken);
      const result = events.at(-1);
      assert.ok(result?.type === 'result' && !result.ok);
      assert.equal(result.error.code, 'ERR_BUILD_INIT_FAILED');
      assert.match(result.error.message, /SyntaxError/);
      writeFileSync(path.join(broken, 'Procfile'), 'hello index.handler\n');
      const procfile = (await harness.deploy('hello', broken)).at(-1);
      assert.ok(procfile?.type === 'result' && !procfile.ok);
      assert.equal(procfile.error.code, 'ERR_APP_PROCFILE_INVALID');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
    assert.equal((await harness.api('GET', '/apps/hello/releases')).body[0].version, before);
    assert.equal((await harness.get('hello', '/hello?name=Ada')).status, 200);
    const builds = (await harness.api('GET', '/apps/hello/builds')).body;
    assert.equal(builds[0].status, 'failed');
    const output = (await harness.api('GET', `/apps/hello/builds/${builds[0].id}`)).body.output;
    assert.match(output, /ERR_APP_PROCFILE_INVALID/);
  });

  it('rolls back to an earlier release as a new release with its code and config', async () => {
    await harness.api('PATCH', '/apps/hello/config', { GREETING: 'Bonjour' });
    const changed = copyApp(HELLO);
    try {
      const source = readFileSync(path.join(changed, 'index.js'), 'utf8');
      writeFileSync(path.join(changed, 'index.js'), source.replace('warmInvocations: invocations,', 'warmInvocations: invocations,\n    edition: 2,'));
      await harness.deployOk('hello', changed);
    } finally {
      rmSync(changed, { recursive: true, force: true });
    }
    const now = (await harness.get('hello', '/hello?name=Ada')).json();
    assert.equal(now.edition, 2);
    assert.equal(now.message, 'Bonjour, Ada!');
    const rolled = await harness.api('POST', '/apps/hello/rollback', { version: 1 });
    assert.equal(rolled.status, 201, JSON.stringify(rolled.body));
    assert.equal(rolled.body.description, 'Rollback to v1');
    const back = (await harness.get('hello', '/hello?name=Ada')).json();
    assert.equal(back.edition, undefined);
    assert.equal(back.message, 'Hello, Ada!');
    const releases = (await harness.api('GET', '/apps/hello/releases')).body;
    assert.equal(releases[0].version, rolled.body.version);
    assert.equal(releases[0].current, true);
    assert.deepEqual(
      releases.map((r: { version: number }) => r.version),
      Array.from({ length: releases.length }, (_, i) => releases.length - i),
    );
    assert.equal((await harness.api('POST', '/apps/hello/rollback', { version: 99 })).body.code, 'ERR_RELEASE_NOT_FOUND');
  });

  it('scopes app tokens to their app', async () => {
    assert.equal((await harness.api('POST', '/apps', { name: 'other' })).status, 201);
    const created = await harness.api('POST', '/tokens', { app: 'hello' });
    assert.equal(created.status, 201);
    const token: string = created.body.token;
    assert.deepEqual(
      (await harness.api('GET', '/apps', undefined, token)).body.map((a: { name: string }) => a.name),
      ['hello'],
    );
    assert.equal((await harness.api('GET', '/apps/hello/config', undefined, token)).status, 200);
    const other = await harness.api('GET', '/apps/other/config', undefined, token);
    assert.equal(other.status, 404);
    assert.equal(other.body.code, 'ERR_APP_NOT_FOUND');
    assert.equal((await harness.api('PATCH', '/apps/other/config', { A: 'b' }, token)).status, 404);
    assert.equal((await harness.api('POST', '/apps', { name: 'mine' }, token)).status, 403);
    assert.equal((await harness.api('POST', '/tokens', { app: 'hello' }, token)).status, 403);
    assert.equal((await harness.api('GET', '/apps', undefined, 'lb_wrong')).status, 401);
    assert.equal((await harness.api('GET', '/apps', undefined, null)).status, 401);
    const stored = readFileSync(path.join(harness.dataDir, 'laambda.db'));
    assert.ok(!stored.includes(token), 'tokens are stored hashed');
  });

  it('switches releases atomically: no failed request while deploying under load', async () => {
    const next = copyApp(HELLO);
    writeFileSync(path.join(next, 'index.js'), readFileSync(path.join(next, 'index.js'), 'utf8').replace('warmInvocations: invocations,', 'warmInvocations: invocations,\n    edition: 3,'));
    let deploying = true;
    const statuses = new Map<number, number>();
    const editions = new Set<string>();
    const worker = async () => {
      while (deploying) {
        const reply = await harness.get('hello', '/hello?name=Load');
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        if (reply.status === 200) editions.add(String(reply.json().edition));
      }
    };
    try {
      const load = Promise.all(Array.from({ length: 8 }, worker));
      await harness.deployOk('hello', next);
      // Keep the load on until the new code has answered at least once.
      while (!editions.has('3')) await harness.get('hello', '/hello');
      deploying = false;
      await load;
    } finally {
      deploying = false;
      rmSync(next, { recursive: true, force: true });
    }
    assert.deepEqual([...statuses.keys()], [200], `statuses during the deploy: ${JSON.stringify([...statuses])}`);
    assert.ok(editions.has('undefined') && editions.has('3'), `saw both releases: ${[...editions].join(', ')}`);
  });

  it('keeps apps, releases and config over a restart and serves again (code unpacked from the artifact)', async () => {
    await harness.api('PATCH', '/apps/hello/config', { GREETING: 'Restarted' });
    const releases = (await harness.api('GET', '/apps/hello/releases')).body;
    await harness.close();
    // Remove the unpacked code: a restart must rebuild it from the stored artifact.
    rmSync(path.join(harness.dataDir, 'code'), { recursive: true, force: true });
    const again = await ServerHarness.start({ dataDir: harness.dataDir });
    try {
      assert.equal(again.server.adminToken, undefined, 'the admin token is printed on the first start only');
      const api = (method: string, apiPath: string) => again.api(method, apiPath, undefined, harness.adminToken);
      assert.deepEqual((await api('GET', '/apps/hello/releases')).body, releases);
      assert.deepEqual((await api('GET', '/apps/hello/config')).body, { GREETING: 'Restarted' });
      const reply = await again.get('hello', '/hello?name=Ada');
      assert.equal(reply.status, 200);
      assert.equal(reply.json().message, 'Restarted, Ada!');
      assert.ok(statSync(path.join(harness.dataDir, 'master.key')).mode % 0o1000 === 0o600);
    } finally {
      await again.close();
    }
    harness = await ServerHarness.start({ dataDir: harness.dataDir, adminToken: harness.adminToken });
  });
});
