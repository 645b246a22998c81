// The behaviour every PlatformStorage adapter must have. An adapter's test calls
// describeStorageContract with a function that opens a fresh, empty storage.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isLaambdaError } from '../core/errors.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { App, AsyncInvocation, PlatformStorage, ReleaseDraft } from '../core/platform.ts';

export interface OpenedStorage {
  storage: PlatformStorage;
  /** Closes the storage and removes everything it wrote. */
  cleanup(): Promise<void>;
}

export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(isLaambdaError(error), `expected a LaambdaError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

export function releaseDraft(fields: Partial<ReleaseDraft> = {}): ReleaseDraft {
  return {
    kind: 'deploy',
    description: 'Deploy abc123',
    author: 'ada@example.com',
    artifact: 'a'.repeat(64),
    buildId: 'b_1',
    definition: '{"functions":[]}',
    config: 'encrypted:config',
    overrides: {},
    ...fields,
  };
}

function invocation(app: App, id: string, createdAt: number): AsyncInvocation {
  return { id, appId: app.id, functionName: 'worker', release: null, payload: Buffer.from(id), attempts: 0, createdAt, nextAttemptAt: createdAt, source: 'invoke' };
}

export function describeStorageContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`PlatformStorage contract: ${name}`, () => {
    let opened: OpenedStorage;
    let storage: PlatformStorage;
    let app: App;
    beforeEach(async () => {
      opened = await open();
      storage = opened.storage;
      app = await storage.apps.create({ name: 'web', domain: 'web.example.com' });
    });
    afterEach(() => opened.cleanup());

    describe('apps', () => {
      it('creates an app with an app_ id and finds it by name, id and domain', async () => {
        assert.match(app.id, /^app_[0-9a-f]{16}$/);
        assert.equal(typeof app.createdAt, 'number');
        assert.deepEqual(await storage.apps.get('web'), app);
        assert.deepEqual(await storage.apps.getById(app.id), app);
        assert.deepEqual(await storage.apps.getByDomain('web.example.com'), app);
        assert.equal(await storage.apps.get('nope'), undefined);
        assert.equal(await storage.apps.getById('app_0000000000000000'), undefined);
        assert.equal(await storage.apps.getByDomain('nope.example.com'), undefined);
      });

      it('refuses a taken name with ERR_APP_EXISTS', async () => {
        await rejectsWithCode(storage.apps.create({ name: 'web', domain: null }), 'ERR_APP_EXISTS');
      });

      it('refuses a taken domain with ERR_APP_EXISTS, while many apps have no domain', async () => {
        await rejectsWithCode(storage.apps.create({ name: 'other', domain: 'web.example.com' }), 'ERR_APP_EXISTS');
        await storage.apps.create({ name: 'a', domain: null });
        await storage.apps.create({ name: 'b', domain: null });
        assert.equal(await storage.apps.get('other'), undefined);
      });

      it('lists apps by name', async () => {
        await storage.apps.create({ name: 'zeta', domain: null });
        await storage.apps.create({ name: 'alpha', domain: null });
        assert.deepEqual((await storage.apps.list()).map((a) => a.name), ['alpha', 'web', 'zeta']);
      });

      it('removes an app with its releases, builds, tokens, keys and invocations, and nothing of other apps', async () => {
        const other = await storage.apps.create({ name: 'other', domain: null });
        for (const owner of [app, other]) {
          await storage.releases.append(owner.id, releaseDraft(), 1);
          await storage.builds.create({ appId: owner.id, source: 'deploy', revision: null, author: 'a', startedAt: 1 });
          await storage.tokens.create({ name: owner.name, appId: owner.id, hash: `hash-${owner.name}`, createdAt: 1 });
          await storage.keys.create({ id: `AKIA${owner.name.toUpperCase()}`, appId: owner.id, secret: 's', createdAt: 1 });
          await storage.invocations.enqueue(invocation(owner, `inv-${owner.name}`, 1));
        }
        await storage.apps.remove(app.id);

        assert.equal(await storage.apps.get('web'), undefined);
        assert.equal(await storage.releases.latest(app.id), undefined);
        assert.deepEqual(await storage.builds.list(app.id), []);
        assert.deepEqual(await storage.tokens.list(app.id), []);
        assert.deepEqual(await storage.keys.list(app.id), []);
        assert.deepEqual((await storage.invocations.pending(10)).map((i) => i.id), ['inv-other']);

        assert.equal((await storage.releases.list(other.id)).length, 1);
        assert.equal((await storage.builds.list(other.id)).length, 1);
        assert.equal((await storage.tokens.list(other.id)).length, 1);
        assert.equal((await storage.keys.list(other.id)).length, 1);
      });

      it('removing an unknown app does nothing', async () => {
        await storage.apps.remove('app_0000000000000000');
        assert.equal((await storage.apps.list()).length, 1);
      });
    });

    describe('releases', () => {
      it('appends v1 then v2 and reads every field back', async () => {
        const draft = releaseDraft({ overrides: { api: { memoryMB: 512, timeoutS: 10 }, worker: { concurrency: 2 } } });
        const v1 = await storage.releases.append(app.id, draft, 1000);
        assert.deepEqual(v1, { ...draft, appId: app.id, version: 1, createdAt: 1000 });
        const v2 = await storage.releases.append(app.id, releaseDraft({ kind: 'config', artifact: null, buildId: null, definition: null }), 2000);
        assert.equal(v2.version, 2);
        assert.deepEqual(await storage.releases.get(app.id, 1), v1);
        assert.deepEqual(await storage.releases.get(app.id, 2), v2);
        assert.deepEqual(await storage.releases.latest(app.id), v2);
        assert.equal(await storage.releases.get(app.id, 3), undefined);
      });

      it('has no latest release before the first append', async () => {
        assert.equal(await storage.releases.latest(app.id), undefined);
        assert.deepEqual(await storage.releases.list(app.id), []);
      });

      it('numbers each app separately', async () => {
        const other = await storage.apps.create({ name: 'other', domain: null });
        await storage.releases.append(app.id, releaseDraft(), 1);
        await storage.releases.append(app.id, releaseDraft(), 2);
        assert.equal((await storage.releases.append(other.id, releaseDraft(), 3)).version, 1);
      });

      it('gives 20 concurrent appends the versions 1 to 20, each once', async () => {
        const appended = await Promise.all(
          Array.from({ length: 20 }, (_, i) => storage.releases.append(app.id, releaseDraft({ description: `r${i}` }), i)),
        );
        assert.deepEqual(appended.map((r) => r.version).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
        assert.equal((await storage.releases.latest(app.id))?.version, 20);
      });

      it('lists newest first, up to the limit', async () => {
        for (let i = 0; i < 5; i++) await storage.releases.append(app.id, releaseDraft(), i);
        assert.deepEqual((await storage.releases.list(app.id)).map((r) => r.version), [5, 4, 3, 2, 1]);
        assert.deepEqual((await storage.releases.list(app.id, { limit: 2 })).map((r) => r.version), [5, 4]);
      });

      it('refuses a release of an app that does not exist with ERR_APP_NOT_FOUND', async () => {
        await rejectsWithCode(storage.releases.append('app_0000000000000000', releaseDraft(), 1), 'ERR_APP_NOT_FOUND');
      });
    });

    describe('builds', () => {
      const start = { source: 'git', revision: 'abc123', author: 'ada' };

      it('creates a running build with a b_ id and finishes it', async () => {
        const build = await storage.builds.create({ appId: app.id, ...start, startedAt: 1000 });
        assert.match(build.id, /^b_[0-9a-z]+$/);
        assert.deepEqual(build, {
          id: build.id, appId: app.id, status: 'running', ...start, artifact: null, release: null, error: null,
          output: '', startedAt: 1000, finishedAt: null,
        });
        assert.deepEqual(await storage.builds.get(build.id), build);
        const result = { status: 'succeeded', artifact: 'f'.repeat(64), release: 3, error: null, output: 'ok\n', finishedAt: 2000 } as const;
        await storage.builds.finish(build.id, result);
        assert.deepEqual(await storage.builds.get(build.id), { ...build, ...result });
        assert.equal(await storage.builds.get('b_missing'), undefined);
      });

      it('lists newest first (by start, then by creation), up to the limit', async () => {
        const first = await storage.builds.create({ appId: app.id, ...start, startedAt: 1000 });
        const late = await storage.builds.create({ appId: app.id, ...start, startedAt: 3000 });
        const sameA = await storage.builds.create({ appId: app.id, ...start, startedAt: 2000 });
        const sameB = await storage.builds.create({ appId: app.id, ...start, startedAt: 2000 });
        assert.ok(first.id < late.id && late.id < sameA.id && sameA.id < sameB.id, 'ids sort by creation');
        assert.deepEqual((await storage.builds.list(app.id)).map((b) => b.id), [late.id, sameB.id, sameA.id, first.id]);
        assert.deepEqual((await storage.builds.list(app.id, { limit: 1 })).map((b) => b.id), [late.id]);
      });

      it('fails the builds left running and counts them, leaving finished ones alone', async () => {
        const done = await storage.builds.create({ appId: app.id, ...start, startedAt: 1 });
        await storage.builds.finish(done.id, { status: 'succeeded', artifact: null, release: 1, error: null, output: 'x', finishedAt: 2 });
        const left = await storage.builds.create({ appId: app.id, ...start, startedAt: 3 });
        await storage.builds.create({ appId: app.id, ...start, startedAt: 4 });
        assert.equal(await storage.builds.failUnfinished('ERR_PLATFORM_INTERNAL: server stopped', 5), 2);
        const failed = await storage.builds.get(left.id);
        assert.equal(failed?.status, 'failed');
        assert.equal(failed?.error, 'ERR_PLATFORM_INTERNAL: server stopped');
        assert.equal(failed?.finishedAt, 5);
        assert.equal((await storage.builds.get(done.id))?.status, 'succeeded');
        assert.equal(await storage.builds.failUnfinished('again', 6), 0);
      });

      it('finishing a build that no longer exists does nothing', async () => {
        await storage.builds.finish('b_missing', { status: 'failed', artifact: null, release: null, error: 'x', output: '', finishedAt: 1 });
        assert.deepEqual(await storage.builds.list(app.id), []);
      });
    });

    describe('tokens', () => {
      it('creates a tok_ token, finds it by hash, lists, touches, counts and removes it', async () => {
        const admin = await storage.tokens.create({ name: 'admin', appId: null, hash: 'h-admin', createdAt: 1 });
        const appToken = await storage.tokens.create({ name: 'ci', appId: app.id, hash: 'h-ci', createdAt: 2 });
        assert.match(admin.id, /^tok_[0-9a-f]+$/);
        assert.deepEqual(admin, { id: admin.id, name: 'admin', appId: null, hash: 'h-admin', createdAt: 1, lastUsedAt: null });
        assert.deepEqual(await storage.tokens.findByHash('h-ci'), appToken);
        assert.equal(await storage.tokens.findByHash('h-none'), undefined);
        assert.deepEqual((await storage.tokens.list()).map((t) => t.id), [admin.id, appToken.id]);
        assert.deepEqual((await storage.tokens.list(app.id)).map((t) => t.id), [appToken.id]);
        assert.equal(await storage.tokens.count(), 2);

        await storage.tokens.touch(appToken.id, 5000);
        assert.equal((await storage.tokens.findByHash('h-ci'))?.lastUsedAt, 5000);

        assert.equal(await storage.tokens.remove(appToken.id), true);
        assert.equal(await storage.tokens.remove(appToken.id), false);
        assert.equal(await storage.tokens.count(), 1);
      });
    });

    describe('access keys', () => {
      it('creates, gets, lists by app and removes keys', async () => {
        const key = { id: 'AKIAEXAMPLE0000001', appId: app.id, secret: 'encrypted:secret', createdAt: 1 };
        assert.deepEqual(await storage.keys.create(key), key);
        await storage.keys.create({ ...key, id: 'AKIAEXAMPLE0000002', createdAt: 2 });
        assert.deepEqual(await storage.keys.get(key.id), key);
        assert.equal(await storage.keys.get('AKIANONE'), undefined);
        assert.deepEqual((await storage.keys.list(app.id)).map((k) => k.id), ['AKIAEXAMPLE0000001', 'AKIAEXAMPLE0000002']);
        assert.equal(await storage.keys.remove(key.id), true);
        assert.equal(await storage.keys.remove(key.id), false);
        assert.deepEqual((await storage.keys.list(app.id)).map((k) => k.id), ['AKIAEXAMPLE0000002']);
      });
    });

    describe('async invocations', () => {
      it('returns pending invocations oldest first, up to the limit, with their payload bytes', async () => {
        const binary = { ...invocation(app, 'inv-b', 200), payload: Buffer.from([0, 255, 10, 0]), release: 7 };
        await storage.invocations.enqueue(binary);
        await storage.invocations.enqueue(invocation(app, 'inv-c', 300));
        await storage.invocations.enqueue(invocation(app, 'inv-a', 100));
        const pending = await storage.invocations.pending(2);
        assert.deepEqual(pending.map((i) => i.id), ['inv-a', 'inv-b']);
        assert.ok(Buffer.isBuffer(pending[1]?.payload));
        assert.deepEqual(pending[1], binary);
        assert.equal(pending[0]?.release, null);
      });

      it('counts attempts and removes an invocation', async () => {
        await storage.invocations.enqueue(invocation(app, 'inv-a', 100));
        await storage.invocations.recordAttempt('inv-a');
        await storage.invocations.recordAttempt('inv-a');
        assert.equal((await storage.invocations.pending(1))[0]?.attempts, 2);
        await storage.invocations.remove('inv-a');
        assert.deepEqual(await storage.invocations.pending(10), []);
        await storage.invocations.recordAttempt('inv-a');
        await storage.invocations.remove('inv-a');
      });
    });

    describe('blobs', () => {
      let incoming = '';
      beforeEach(async () => {
        incoming = await mkdtemp(path.join(os.tmpdir(), 'laambda-blob-in-'));
      });
      afterEach(() => rm(incoming, { recursive: true, force: true }));

      async function file(name: string, content: string): Promise<string> {
        const target = path.join(incoming, name);
        await writeFile(target, content);
        return target;
      }

      it('stores a file by sha256 read-only, consuming it, and reads it back', async () => {
        const source = await file('a.zip', 'zip bytes');
        const digest = createHash('sha256').update('zip bytes').digest('hex');
        assert.deepEqual(await storage.blobs.putFile(source), { digest, size: 9 });
        await assert.rejects(stat(source), { code: 'ENOENT' });
        assert.equal(await storage.blobs.has(digest), true);
        const stored = await storage.blobs.localPath(digest);
        assert.equal(await readFile(stored, 'utf8'), 'zip bytes');
        assert.equal((await stat(stored)).mode & 0o777, 0o444);
      });

      it('stores the same content once', async () => {
        const first = await storage.blobs.putFile(await file('a', 'same'));
        const stored = await storage.blobs.localPath(first.digest);
        const before = await stat(stored);
        const again = await file('b', 'same');
        assert.deepEqual(await storage.blobs.putFile(again), first);
        await assert.rejects(stat(again), { code: 'ENOENT' });
        assert.equal(await storage.blobs.localPath(first.digest), stored);
        assert.equal((await stat(stored)).ino, before.ino);
      });

      it('removes a blob; removing an absent one does nothing', async () => {
        const { digest } = await storage.blobs.putFile(await file('a', 'gone'));
        await storage.blobs.remove(digest);
        assert.equal(await storage.blobs.has(digest), false);
        await storage.blobs.remove(digest);
        await rejectsWithCode(storage.blobs.localPath(digest), 'ERR_STORAGE_FAILED');
      });

      it('refuses anything but a 64-hex digest, so no path leaves the store', async () => {
        for (const bad of ['../../etc/passwd', 'A'.repeat(64), 'a'.repeat(63), `${'a'.repeat(62)}/x`, '']) {
          await rejectsWithCode(storage.blobs.localPath(bad), 'ERR_STORAGE_FAILED');
          await rejectsWithCode(storage.blobs.has(bad), 'ERR_STORAGE_FAILED');
          await rejectsWithCode(storage.blobs.remove(bad), 'ERR_STORAGE_FAILED');
        }
      });
    });
  });
}
