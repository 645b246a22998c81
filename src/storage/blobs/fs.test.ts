import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FsBlobStore } from './fs.ts';

// A second filesystem to upload from, when the machine has one (tmpfs /dev/shm usually is).
const OTHER_FS = '/dev/shm';
const otherFsSkip =
  existsSync(OTHER_FS) && statSync(OTHER_FS).dev !== statSync(os.tmpdir()).dev
    ? false
    : `no filesystem other than ${os.tmpdir()} at ${OTHER_FS}`;

describe('FsBlobStore', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'laambda-blobs-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lays blobs out as sha256/ab/abcdef…', async () => {
    const blobs = new FsBlobStore(path.join(dir, 'store'));
    const source = path.join(dir, 'in');
    await writeFile(source, 'hello');
    const { digest } = await blobs.putFile(source);
    assert.equal(await blobs.localPath(digest), path.join(dir, 'store', 'sha256', digest.slice(0, 2), digest));
  });

  it('moves a file in from another filesystem, leaving no temporary file', { skip: otherFsSkip }, async () => {
    const blobs = new FsBlobStore(path.join(dir, 'store'));
    const elsewhere = await mkdtemp(path.join(OTHER_FS, 'laambda-blobs-'));
    try {
      const source = path.join(elsewhere, 'upload.zip');
      await writeFile(source, 'from another disk');
      const { digest, size } = await blobs.putFile(source);
      assert.equal(size, 17);
      assert.equal(existsSync(source), false);
      const stored = await blobs.localPath(digest);
      assert.equal(await readFile(stored, 'utf8'), 'from another disk');
      assert.equal((await stat(stored)).mode & 0o777, 0o444);
      assert.deepEqual(await readdir(path.dirname(stored)), [digest]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('fails with ERR_STORAGE_FAILED when the file to store does not exist', async () => {
    const blobs = new FsBlobStore(path.join(dir, 'store'));
    await assert.rejects(blobs.putFile(path.join(dir, 'missing')), { code: 'ERR_STORAGE_FAILED' });
  });
});
