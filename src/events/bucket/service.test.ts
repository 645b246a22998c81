// The bucket service over real SQLite and a real blob store: which blobs live and die, what a
// refused body leaves behind, and listing across the store's batches.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { PlatformStorage } from '../../core/platform.ts';
import { systemClock } from '../../core/ports.ts';
import { createSqliteStorage, FsBlobStore } from '../../storage/index.ts';
import { BucketService } from './service.ts';

let root: string;
let storage: PlatformStorage;
let service: BucketService;
let blobDir: string;
let tmpDir: string;
const caller = { appId: '' };

async function files(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

const body = (text: string) => Readable.from([Buffer.from(text)]);

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'laambda-buckets-'));
  storage = await createSqliteStorage({ dataDir: root });
  caller.appId = (await storage.apps.create({ name: 'app', domain: null })).id;
  blobDir = path.join(root, 'objects');
  tmpDir = path.join(root, 'objects-tmp');
  service = new BucketService({ store: storage.buckets, blobs: new FsBlobStore(blobDir), tmpDir, clock: systemClock, minPartSize: 4 });
  await service.createBucket(caller, 'data');
});

after(async () => {
  await storage?.close();
  await rm(root, { recursive: true, force: true });
});

describe('BucketService blobs', () => {
  it('stores equal content once and removes the blob with its last object', async () => {
    await service.putObject(caller, 'data', 'one', body('same bytes'));
    await service.putObject(caller, 'data', 'two', body('same bytes'));
    assert.equal((await files(blobDir)).length, 1);
    await service.deleteObject(caller, 'data', 'one');
    assert.equal((await files(blobDir)).length, 1);
    await service.deleteObject(caller, 'data', 'two');
    assert.deepEqual(await files(blobDir), []);
  });

  it('drops the old blob on overwrite and keeps a copied one until both names are gone', async () => {
    await service.putObject(caller, 'data', 'doc', body('version 1'));
    await service.putObject(caller, 'data', 'doc', body('version 2'));
    assert.equal((await files(blobDir)).length, 1);
    await service.copyObject(caller, 'data', 'doc-copy', { sourceBucket: 'data', sourceKey: 'doc' });
    await service.deleteObject(caller, 'data', 'doc');
    const read = await service.getObject(caller, 'data', 'doc-copy');
    assert.equal(Buffer.concat(await (await read.open()).toArray()).toString(), 'version 2');
    await service.deleteObject(caller, 'data', 'doc-copy');
    assert.deepEqual(await files(blobDir), []);
  });

  it('leaves neither temp file nor blob behind a refused body', async () => {
    await assert.rejects(service.putObject(caller, 'data', 'bad', body('abc'), { checks: { contentMd5: Buffer.alloc(16).toString('base64') } }), {
      s3Code: 'BadDigest',
    });
    await assert.rejects(service.putObject(caller, 'data', 'bad', body('abc'), { checks: { sha256: '0'.repeat(64) } }), {
      s3Code: 'XAmzContentSHA256Mismatch',
    });
    assert.deepEqual(await files(tmpDir), []);
    assert.deepEqual(await files(blobDir), []);
  });

  it('removes part blobs on abort and after completion keeps only the object’s', async () => {
    const aborted = await service.multipart.create(caller, 'data', 'parts');
    await service.multipart.uploadPart(caller, 'data', 'parts', aborted.uploadId, 1, body('first'));
    await service.multipart.abort(caller, 'data', 'parts', aborted.uploadId);
    assert.deepEqual(await files(blobDir), []);

    const upload = await service.multipart.create(caller, 'data', 'parts');
    const one = await service.multipart.uploadPart(caller, 'data', 'parts', upload.uploadId, 1, body('first'));
    const two = await service.multipart.uploadPart(caller, 'data', 'parts', upload.uploadId, 2, body('second'));
    await service.multipart.uploadPart(caller, 'data', 'parts', upload.uploadId, 3, body('unlisted'));
    const object = await service.multipart.complete(caller, 'data', 'parts', upload.uploadId, [
      { partNumber: 1, eTag: one.eTag },
      { partNumber: 2, eTag: two.eTag },
    ]);
    assert.equal(object.size, 'firstsecond'.length);
    assert.match(object.eTag, /-2"$/);
    assert.equal((await files(blobDir)).length, 1);
    await service.deleteObject(caller, 'data', 'parts');
    assert.deepEqual(await files(blobDir), []);
  });
});

describe('BucketService listing', () => {
  it('skips a rolled-up prefix of more keys than one store batch in one page', async () => {
    await service.createBucket(caller, 'many');
    const now = Date.now();
    for (let i = 0; i < 1200; i++) {
      await storage.buckets.putObject({
        appId: caller.appId, bucket: 'many', key: `logs/${String(i).padStart(5, '0')}`, size: 0, eTag: '""', contentType: 'x', metadata: {},
        headers: {}, checksum: null, digest: 'f'.repeat(64), lastModified: now,
      });
    }
    await storage.buckets.putObject({
      appId: caller.appId, bucket: 'many', key: 'readme', size: 0, eTag: '""', contentType: 'x', metadata: {}, headers: {}, checksum: null,
      digest: 'f'.repeat(64), lastModified: now,
    });
    const rolled = await service.listObjectsV2(caller, 'many', { delimiter: '/' });
    assert.deepEqual(rolled.commonPrefixes, ['logs/']);
    assert.deepEqual(rolled.contents.map((object) => object.key), ['readme']);
    const flat = await service.listObjectsV2(caller, 'many', { maxKeys: 1000 });
    assert.equal(flat.contents.length, 1000);
    assert.equal(flat.isTruncated, true);
    const rest = await service.listObjectsV2(caller, 'many', { continuationToken: flat.nextContinuationToken! });
    assert.equal(rest.contents.length, 201);
    assert.equal(rest.contents.at(-1)?.key, 'readme');
    assert.equal(rest.isTruncated, false);
  });
});
