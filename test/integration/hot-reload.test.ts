import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { DevEvent } from '../../src/dev/session.ts';
import { resolvePython } from '../../src/runtime/index.ts';
import { writeGreetWheel } from '../support/python.ts';
import { COORDINATION_CJS, waitFor } from '../support/engine.ts';
import { DevHarness } from '../support/dev.ts';

const harness = new DevHarness();
after(() => harness.cleanup());

const handler = (body: string) => `${COORDINATION_CJS}
exports.handler = async (event) => {
  const hold = event.queryStringParameters && event.queryStringParameters.hold;
  if (hold) { await arrive(hold + '.arrived', 1); await waitForFile(hold); }
  return { statusCode: 200, body: ${JSON.stringify(body)} };
};`;

const isReloaded = (event: DevEvent): event is Extract<DevEvent, { type: 'reloaded' }> => event.type === 'reloaded';
const isInitFailed = (event: DevEvent): event is Extract<DevEvent, { type: 'init-failed' }> => event.type === 'init-failed';
const isBuildFailed = (event: DevEvent): event is Extract<DevEvent, { type: 'build-failed' }> => event.type === 'build-failed';

describe('laambda dev hot reload', () => {
  it('serves the new code after a save while an in-flight request finishes on the old code', async () => {
    const dev = await harness.start({ Procfile: 'web: index.handler\n', 'index.js': handler('old') }, { watch: true });
    assert.equal((await dev.fetch('/web')).text, 'old');

    // A request that is still running when the file changes.
    // Coordination files live outside the app, so they trigger no reload themselves.
    const scratch = await harness.app({});
    const hold = path.join(scratch, 'hold');
    await mkdir(`${hold}.arrived`);
    const inFlight = dev.fetch(`/web?hold=${encodeURIComponent(hold)}`);
    await waitFor(() => readdirSync(`${hold}.arrived`).length > 0, { message: 'the in-flight request to start' });

    const seen = dev.events.length;
    await writeFile(path.join(dev.dir, 'index.js'), handler('new'));
    // Every request during the switch gets an answer (old or new), never an error.
    let reply = await dev.fetch('/web');
    while (reply.text !== 'new') {
      assert.equal(reply.status, 200);
      assert.equal(reply.text, 'old');
      reply = await dev.fetch('/web');
    }
    const reloaded = await dev.nextEvent(isReloaded, seen);
    assert.deepEqual(reloaded.files, ['index.js']);
    assert.deepEqual(reloaded.functions, ['web']);

    await writeFile(hold, '');
    const finished = await inFlight;
    assert.equal(finished.status, 200);
    assert.equal(finished.text, 'old', 'the request in flight during the edit completed on the old code');
    assert.equal((await dev.fetch('/web')).text, 'new');
  });

  it('keeps serving the last good code after a syntax error, and reports it', async () => {
    const dev = await harness.start({ Procfile: 'web: index.handler\n', 'index.js': handler('good') }, { watch: true });
    assert.equal((await dev.fetch('/web')).text, 'good');

    const seen = dev.events.length;
    await writeFile(path.join(dev.dir, 'index.js'), 'exports.handler = async () => { return {;');
    const failed = await dev.nextEvent(isInitFailed, seen);
    assert.equal(failed.functionName, 'web');
    assert.equal(failed.error.errorType, 'Runtime.UserCodeSyntaxError');
    assert.equal(failed.keptOld, true);
    const during = await dev.fetch('/web');
    assert.equal(during.status, 200);
    assert.equal(during.text, 'good');

    const fixed = dev.events.length;
    await writeFile(path.join(dev.dir, 'index.js'), handler('fixed'));
    await dev.nextEvent(isReloaded, fixed);
    assert.equal((await dev.fetch('/web')).text, 'fixed');
  });

  it('keeps the last good TypeScript bundle when the .ts file stops compiling', async () => {
    const ts = (body: string) => `export const handler = async (): Promise<{ statusCode: number; body: string }> => ({ statusCode: 200, body: '${body}' });`;
    const dev = await harness.start({ Procfile: 'api: api.handler\n', 'api.ts': ts('one') }, { watch: true });
    assert.equal((await dev.fetch('/api')).text, 'one');
    const seen = dev.events.length;
    await writeFile(path.join(dev.dir, 'api.ts'), 'export const handler = async (: => {');
    const failed = await dev.nextEvent(isBuildFailed, seen);
    assert.match(failed.error.message, /api\.ts:1:\d+/);
    assert.equal((await dev.fetch('/api')).text, 'one');
    const fixed = dev.events.length;
    await writeFile(path.join(dev.dir, 'api.ts'), ts('two'));
    await dev.nextEvent(isReloaded, fixed);
    assert.equal((await dev.fetch('/api')).text, 'two');
  });

  it('updates routes live when the Procfile or laambda.json changes', async () => {
    const dev = await harness.start({ Procfile: 'a: index.handler\n', 'index.js': handler('same code') }, { watch: true });
    assert.equal((await dev.fetch('/a')).status, 200);
    assert.equal((await dev.fetch('/b')).status, 404);

    let seen = dev.events.length;
    await writeFile(path.join(dev.dir, 'Procfile'), 'a: index.handler\nb: index.handler\n');
    await dev.nextEvent(isReloaded, seen);
    assert.equal((await dev.fetch('/b')).status, 200);

    seen = dev.events.length;
    await writeFile(path.join(dev.dir, 'laambda.json'), JSON.stringify({ functions: { b: { events: ['GET /bee'] } } }));
    await dev.nextEvent(isReloaded, seen);
    assert.equal((await dev.fetch('/bee')).status, 200);
    assert.equal((await dev.fetch('/b')).status, 404, 'declared events replace the default routes');

    seen = dev.events.length;
    await writeFile(path.join(dev.dir, 'laambda.json'), '{ "functions": { "b": { "memroy": 256 } } }');
    const failed = await dev.nextEvent((e: DevEvent): e is Extract<DevEvent, { type: 'reload-failed' }> => e.type === 'reload-failed', seen);
    assert.match(failed.error.message, /laambda\.json/);
    assert.equal((await dev.fetch('/bee')).status, 200, 'a broken laambda.json keeps the last good routes');
  });

  it('reinstalls Node dependencies after package.json changes, before the new code runs', async () => {
    const dev = await harness.start(
      {
        Procfile: 'web: index.handler\n',
        'package.json': JSON.stringify({ name: 'web', version: '1.0.0', private: true }),
        'index.js': `exports.handler = async () => ({ statusCode: 200, body: require('dep') });`,
        'dep/package.json': JSON.stringify({ name: 'dep', version: '1.0.0', main: 'index.js' }),
        'dep/index.js': `module.exports = 'from dep';`,
      },
      { watch: true },
    );
    assert.equal((await dev.fetch('/web')).status, 502, 'dep is not installed yet');
    const seen = dev.events.length;
    await writeFile(path.join(dev.dir, 'package.json'), JSON.stringify({ name: 'web', version: '1.0.0', private: true, dependencies: { dep: 'file:./dep' } }));
    await dev.nextEvent((e: DevEvent): e is Extract<DevEvent, { type: 'installed' }> => e.type === 'installed', seen);
    await dev.nextEvent(isReloaded, seen);
    const reply = await dev.fetch('/web');
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'from dep');
  });

  it('installs Python requirements after requirements.txt changes and puts them on the path', async () => {
    const dir = await harness.app({
      Procfile: 'web: app.handler\n',
      'app.py': 'def handler(event, context):\n    import greetpkg\n    return {"statusCode": 200, "body": greetpkg.VALUE}\n',
    });
    await writeGreetWheel(resolvePython(undefined, process.env).path, path.join(dir, 'wheels', 'greetpkg-1.0-py3-none-any.whl'));
    const dev = await harness.start(dir, { watch: true });
    assert.equal((await dev.fetch('/web')).status, 502, 'greetpkg is not installed yet');
    const seen = dev.events.length;
    await writeFile(path.join(dir, 'requirements.txt'), './wheels/greetpkg-1.0-py3-none-any.whl\n');
    await dev.nextEvent((e: DevEvent): e is Extract<DevEvent, { type: 'installed' }> => e.type === 'installed', seen);
    await dev.nextEvent(isReloaded, seen);
    const reply = await dev.fetch('/web');
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.text, 'from a wheel');
  });
});
