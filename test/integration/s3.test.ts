// The S3 endpoint end to end: @aws-sdk/client-s3 (path style, SigV4, aws-chunked uploads with
// CRC32 trailers), lib-storage's multipart Upload and presigned URLs against a real node:http
// server running createS3Handler over a BucketService on a temp data dir.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { startS3, type S3Harness } from '../support/s3.ts';

let s3: S3Harness;
let shop: S3Client;
let blog: S3Client;

before(async () => {
  s3 = await startS3();
  shop = s3.client(s3.keys.a.id, s3.keys.a.secret);
  blog = s3.client(s3.keys.b.id, s3.keys.b.secret);
});

after(async () => {
  await s3?.close();
});

/** The S3 error name (and status) a call fails with. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof S3ServiceException, `expected an S3 error, got ${String(error)}`);
    return { name: error.name, status: error.$metadata.httpStatusCode };
  }
  assert.fail('expected the call to fail');
}

async function text(body: { transformToString(): Promise<string> } | undefined): Promise<string> {
  assert.ok(body);
  return body.transformToString();
}

async function listAll(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((entry) => path.join(dir, entry));
}

describe('buckets', () => {
  it('creates, heads, lists, locates and deletes a bucket', async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'uploads' }));
    await shop.send(new HeadBucketCommand({ Bucket: 'uploads' }));
    const listed = await shop.send(new ListBucketsCommand({}));
    assert.deepEqual(listed.Buckets?.map((bucket) => bucket.Name), ['uploads']);
    const location = await shop.send(new GetBucketLocationCommand({ Bucket: 'uploads' }));
    assert.equal(location.LocationConstraint, undefined);
    assert.equal((await failure(shop.send(new CreateBucketCommand({ Bucket: 'uploads' })))).name, 'BucketAlreadyOwnedByYou');
    await shop.send(new DeleteBucketCommand({ Bucket: 'uploads' }));
    assert.deepEqual(await failure(shop.send(new HeadBucketCommand({ Bucket: 'uploads' }))), { name: 'NotFound', status: 404 });
  });

  it('keeps bucket names per app: two apps each have `media`, and B never sees A’s', async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'media' }));
    await shop.send(new CreateBucketCommand({ Bucket: 'shop-only' }));
    await blog.send(new CreateBucketCommand({ Bucket: 'media' }));
    await shop.send(new PutObjectCommand({ Bucket: 'media', Key: 'logo.png', Body: 'shop logo' }));
    const blogBuckets = await blog.send(new ListBucketsCommand({}));
    assert.deepEqual(blogBuckets.Buckets?.map((bucket) => bucket.Name), ['media']);
    assert.equal((await failure(blog.send(new GetObjectCommand({ Bucket: 'media', Key: 'logo.png' })))).name, 'NoSuchKey');
    assert.equal((await failure(blog.send(new GetObjectCommand({ Bucket: 'shop-only', Key: 'logo.png' })))).name, 'NoSuchBucket');
    assert.equal((await failure(blog.send(new PutObjectCommand({ Bucket: 'shop-only', Key: 'x', Body: 'x' })))).name, 'NoSuchBucket');
  });

  it('refuses invalid names, deleting a bucket with objects, and missing buckets', async () => {
    assert.equal((await failure(shop.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).name, 'InvalidBucketName');
    await shop.send(new CreateBucketCommand({ Bucket: 'full' }));
    await shop.send(new PutObjectCommand({ Bucket: 'full', Key: 'a', Body: 'a' }));
    assert.deepEqual(await failure(shop.send(new DeleteBucketCommand({ Bucket: 'full' }))), { name: 'BucketNotEmpty', status: 409 });
    assert.equal((await failure(shop.send(new ListObjectsV2Command({ Bucket: 'nowhere' })))).name, 'NoSuchBucket');
  });
});

describe('objects', () => {
  before(async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'docs' }));
  });

  it('round-trips data, content type, user metadata and stored headers, with the MD5 ETag', async () => {
    s3.events.length = 0;
    const body = 'hello, laambda\n';
    const put = await shop.send(
      new PutObjectCommand({
        Bucket: 'docs',
        Key: 'notes/hello world.txt',
        Body: body,
        ContentType: 'text/plain; charset=utf-8',
        Metadata: { author: 'ada', 'x-trace': 'T1' },
        CacheControl: 'max-age=60',
        ContentDisposition: 'attachment; filename="hello.txt"',
      }),
    );
    const md5 = createHash('md5').update(body).digest('hex');
    assert.equal(put.ETag, `"${md5}"`);
    assert.ok(put.ChecksumCRC32, 'the SDK sent a CRC32 trailer and gets it back');
    const got = await shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'notes/hello world.txt' }));
    assert.equal(await text(got.Body), body);
    assert.equal(got.ContentType, 'text/plain; charset=utf-8');
    assert.deepEqual(got.Metadata, { author: 'ada', 'x-trace': 'T1' });
    assert.equal(got.CacheControl, 'max-age=60');
    assert.equal(got.ContentDisposition, 'attachment; filename="hello.txt"');
    assert.equal(got.ContentLength, Buffer.byteLength(body));
    const head = await shop.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'notes/hello world.txt' }));
    assert.equal(head.ETag, `"${md5}"`);
    assert.equal(head.ContentLength, Buffer.byteLength(body));
    assert.deepEqual(
      s3.events.map((event) => [event.eventName, event.key, event.size, event.eTag]),
      [['s3:ObjectCreated:Put', 'notes/hello world.txt', body.length, md5]],
    );
    assert.equal(s3.events[0]?.appId, s3.appA);
  });

  it('stores CRC32C and SHA256 checksums and verifies them', async () => {
    const crc32c = await shop.send(new PutObjectCommand({ Bucket: 'docs', Key: 'c32c', Body: 'checksummed', ChecksumAlgorithm: 'CRC32C' }));
    assert.ok(crc32c.ChecksumCRC32C);
    const sha = await shop.send(new PutObjectCommand({ Bucket: 'docs', Key: 'sha', Body: 'checksummed', ChecksumAlgorithm: 'SHA256' }));
    assert.equal(sha.ChecksumSHA256, createHash('sha256').update('checksummed').digest('base64'));
    const got = await shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'c32c', ChecksumMode: 'ENABLED' }));
    assert.equal(got.ChecksumCRC32C, crc32c.ChecksumCRC32C);
    assert.equal(await text(got.Body), 'checksummed');
  });

  it('answers NoSuchKey, and deletes with an ObjectRemoved:Delete event', async () => {
    assert.deepEqual(await failure(shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'missing' }))), { name: 'NoSuchKey', status: 404 });
    await shop.send(new PutObjectCommand({ Bucket: 'docs', Key: 'doomed', Body: 'x' }));
    s3.events.length = 0;
    await shop.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'doomed' }));
    await shop.send(new DeleteObjectCommand({ Bucket: 'docs', Key: 'doomed' }));
    assert.deepEqual(s3.events.map((event) => event.eventName), ['s3:ObjectRemoved:Delete']);
    assert.equal((await failure(shop.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'doomed' })))).status, 404);
  });

  it('serves byte ranges and refuses unsatisfiable ones', async () => {
    await shop.send(new PutObjectCommand({ Bucket: 'docs', Key: 'digits', Body: '0123456789' }));
    const middle = await shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'digits', Range: 'bytes=2-5' }));
    assert.equal(await text(middle.Body), '2345');
    assert.equal(middle.ContentRange, 'bytes 2-5/10');
    assert.equal(middle.$metadata.httpStatusCode, 206);
    const tail = await shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'digits', Range: 'bytes=-3' }));
    assert.equal(await text(tail.Body), '789');
    const open = await shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'digits', Range: 'bytes=7-' }));
    assert.equal(await text(open.Body), '789');
    assert.deepEqual(await failure(shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'digits', Range: 'bytes=10-20' }))), {
      name: 'InvalidRange',
      status: 416,
    });
  });

  it('honours If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
    const put = await shop.send(new PutObjectCommand({ Bucket: 'docs', Key: 'cond', Body: 'v1' }));
    const eTag = put.ETag!;
    const got = await shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'cond', IfMatch: eTag }));
    assert.equal(await text(got.Body), 'v1');
    assert.deepEqual(await failure(shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'cond', IfMatch: '"0000"' }))), {
      name: 'PreconditionFailed',
      status: 412,
    });
    assert.equal((await failure(shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'cond', IfNoneMatch: eTag })))).status, 304);
    assert.equal((await failure(shop.send(new HeadObjectCommand({ Bucket: 'docs', Key: 'cond', IfNoneMatch: eTag })))).status, 304);
    const future = new Date(Date.now() + 3600_000);
    const past = new Date(Date.now() - 3600_000);
    assert.equal((await failure(shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'cond', IfModifiedSince: future })))).status, 304);
    const modified = await shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'cond', IfModifiedSince: past }));
    assert.equal(await text(modified.Body), 'v1');
    assert.equal((await failure(shop.send(new GetObjectCommand({ Bucket: 'docs', Key: 'cond', IfUnmodifiedSince: past })))).name, 'PreconditionFailed');
    assert.equal(
      (await failure(shop.send(new PutObjectCommand({ Bucket: 'docs', Key: 'cond', Body: 'v2', IfNoneMatch: '*' })))).name,
      'PreconditionFailed',
    );
  });

  it('keeps keys like ../../etc/passwd as keys: stored, listed, read back, nothing written outside the data dir', async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'sneaky' }));
    const before = (await listAll(s3.root)).filter((file) => !file.startsWith(s3.dataDir + path.sep));
    const keys = ['../../etc/passwd', 'a/../../b', '../outside.txt', './x/./y', '/leading'];
    for (const key of keys) await shop.send(new PutObjectCommand({ Bucket: 'sneaky', Key: key, Body: `content of ${key}` }));
    for (const key of keys) {
      const got = await shop.send(new GetObjectCommand({ Bucket: 'sneaky', Key: key }));
      assert.equal(await text(got.Body), `content of ${key}`);
    }
    const listed = await shop.send(new ListObjectsV2Command({ Bucket: 'sneaky' }));
    assert.deepEqual(listed.Contents?.map((object) => object.Key), [...keys].sort());
    const afterFiles = (await listAll(s3.root)).filter((file) => !file.startsWith(s3.dataDir + path.sep));
    assert.deepEqual(afterFiles, before);
    const objectFiles = await listAll(path.join(s3.dataDir, 'objects'));
    assert.ok(objectFiles.every((file) => !/passwd|outside|leading/.test(file)), 'blob files are named by digest only');
  });

  it('refuses over-long keys with KeyTooLongError', async () => {
    const long = 'k'.repeat(1025);
    assert.equal((await failure(shop.send(new PutObjectCommand({ Bucket: 'docs', Key: long, Body: 'x' })))).name, 'KeyTooLongError');
  });
});
