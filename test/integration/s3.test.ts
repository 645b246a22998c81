// The S3 endpoint end to end: @aws-sdk/client-s3 (path style, SigV4, aws-chunked uploads with
// CRC32 trailers), lib-storage's multipart Upload and presigned URLs against a real node:http
// server running createS3Handler over a BucketService on a temp data dir.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
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

describe('listing', () => {
  const keys = ['a.txt', 'photos/2024/a.jpg', 'photos/2024/b.jpg', 'photos/2025/c.jpg', 'photos/d.jpg', 'videos/e.mp4', 'z.txt'];

  before(async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'gallery' }));
    for (const key of keys) await shop.send(new PutObjectCommand({ Bucket: 'gallery', Key: key, Body: key }));
  });

  it('rolls keys up into CommonPrefixes at the delimiter and pages with continuation tokens', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await shop.send(new ListObjectsV2Command({ Bucket: 'gallery', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      pages += 1;
      assert.equal(page.KeyCount, (page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0));
      seen.push(...(page.Contents ?? []).map((object) => object.Key!), ...(page.CommonPrefixes ?? []).map((prefix) => prefix.Prefix!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    assert.deepEqual(seen.sort(), ['a.txt', 'photos/', 'videos/', 'z.txt']);
    assert.equal(pages, 2);
  });

  it('lists under a prefix, after start-after, and with max-keys', async () => {
    const nested = await shop.send(new ListObjectsV2Command({ Bucket: 'gallery', Prefix: 'photos/', Delimiter: '/' }));
    assert.deepEqual(nested.Contents?.map((object) => object.Key), ['photos/d.jpg']);
    assert.deepEqual(nested.CommonPrefixes?.map((prefix) => prefix.Prefix), ['photos/2024/', 'photos/2025/']);
    const later = await shop.send(new ListObjectsV2Command({ Bucket: 'gallery', StartAfter: 'photos/d.jpg' }));
    assert.deepEqual(later.Contents?.map((object) => object.Key), ['videos/e.mp4', 'z.txt']);
    const first = await shop.send(new ListObjectsV2Command({ Bucket: 'gallery', MaxKeys: 3 }));
    assert.deepEqual(first.Contents?.map((object) => object.Key), keys.slice(0, 3));
    assert.equal(first.IsTruncated, true);
    assert.equal(first.Contents?.[0]?.Size, 'a.txt'.length);
    assert.equal(first.Contents?.[0]?.ETag, `"${createHash('md5').update('a.txt').digest('hex')}"`);
  });

  it('URL-encodes keys with encoding-type=url', async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'encoded' }));
    await shop.send(new PutObjectCommand({ Bucket: 'encoded', Key: 'a b&c/ü.txt', Body: 'x' }));
    const listed = await shop.send(new ListObjectsV2Command({ Bucket: 'encoded', EncodingType: 'url' }));
    assert.equal(listed.Contents?.[0]?.Key, 'a%20b%26c/%C3%BC.txt');
  });
});

describe('copy and batch delete', () => {
  before(async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'copies' }));
    await shop.send(
      new PutObjectCommand({ Bucket: 'copies', Key: 'source file.txt', Body: 'original', ContentType: 'text/plain', Metadata: { origin: 'src' } }),
    );
  });

  it('copies with metadata directive COPY (the source’s) and REPLACE (the request’s)', async () => {
    s3.events.length = 0;
    const copied = await shop.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'copy-1', CopySource: 'copies/source%20file.txt' }));
    assert.equal(copied.CopyObjectResult?.ETag, `"${createHash('md5').update('original').digest('hex')}"`);
    const kept = await shop.send(new HeadObjectCommand({ Bucket: 'copies', Key: 'copy-1' }));
    assert.equal(kept.ContentType, 'text/plain');
    assert.deepEqual(kept.Metadata, { origin: 'src' });
    await shop.send(
      new CopyObjectCommand({
        Bucket: 'copies',
        Key: 'copy-2',
        CopySource: '/copies/source%20file.txt',
        MetadataDirective: 'REPLACE',
        ContentType: 'application/json',
        Metadata: { origin: 'replaced' },
      }),
    );
    const replaced = await shop.send(new GetObjectCommand({ Bucket: 'copies', Key: 'copy-2' }));
    assert.equal(await text(replaced.Body), 'original');
    assert.equal(replaced.ContentType, 'application/json');
    assert.deepEqual(replaced.Metadata, { origin: 'replaced' });
    assert.deepEqual(s3.events.map((event) => event.eventName), ['s3:ObjectCreated:Copy', 's3:ObjectCreated:Copy']);
  });

  it('checks x-amz-copy-source-if-* and refuses copying an object onto itself unchanged', async () => {
    assert.equal(
      (await failure(shop.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'c3', CopySource: 'copies/source%20file.txt', CopySourceIfMatch: '"nope"' })))).name,
      'PreconditionFailed',
    );
    assert.equal(
      (await failure(shop.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'source file.txt', CopySource: 'copies/source%20file.txt' })))).name,
      'InvalidRequest',
    );
    assert.equal((await failure(shop.send(new CopyObjectCommand({ Bucket: 'copies', Key: 'c4', CopySource: 'copies/missing' })))).name, 'NoSuchKey');
  });

  it('deletes many objects at once, quietly or not', async () => {
    for (const key of ['d1', 'd2', 'd3']) await shop.send(new PutObjectCommand({ Bucket: 'copies', Key: key, Body: key }));
    const loud = await shop.send(new DeleteObjectsCommand({ Bucket: 'copies', Delete: { Objects: [{ Key: 'd1' }, { Key: 'd2' }, { Key: 'never-there' }] } }));
    assert.deepEqual(loud.Deleted?.map((entry) => entry.Key).sort(), ['d1', 'd2', 'never-there']);
    const quiet = await shop.send(new DeleteObjectsCommand({ Bucket: 'copies', Delete: { Objects: [{ Key: 'd3' }], Quiet: true } }));
    assert.equal(quiet.Deleted, undefined);
    const left = await shop.send(new ListObjectsV2Command({ Bucket: 'copies', Prefix: 'd' }));
    assert.equal(left.KeyCount, 0);
  });
});

describe('multipart', () => {
  before(async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'big' }));
  });

  it('uploads 12 MiB with lib-storage in 5 MiB parts: ETag -3, bytes intact, one CompleteMultipartUpload event', async () => {
    s3.events.length = 0;
    const body = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);
    const upload = new Upload({ client: shop, params: { Bucket: 'big', Key: 'blob.bin', Body: body, ContentType: 'application/x-test' }, partSize: 5 * 1024 * 1024, queueSize: 2 });
    const done = await upload.done();
    assert.match(done.ETag ?? '', /^"[0-9a-f]{32}-3"$/);
    const got = await shop.send(new GetObjectCommand({ Bucket: 'big', Key: 'blob.bin' }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    assert.equal(bytes.length, body.length);
    assert.ok(bytes.equals(body));
    assert.equal(got.ContentType, 'application/x-test');
    assert.equal(got.ETag, done.ETag);
    assert.deepEqual(s3.events.map((event) => event.eventName), ['s3:ObjectCreated:CompleteMultipartUpload']);
    const uploads = await shop.send(new ListMultipartUploadsCommand({ Bucket: 'big' }));
    assert.equal(uploads.Uploads, undefined);
  });

  it('lists parts and uploads, refuses bad part lists, aborts', async () => {
    const { UploadId } = await shop.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'manual' }));
    assert.ok(UploadId);
    const small = await shop.send(new UploadPartCommand({ Bucket: 'big', Key: 'manual', UploadId, PartNumber: 1, Body: 'tiny part' }));
    const second = await shop.send(new UploadPartCommand({ Bucket: 'big', Key: 'manual', UploadId, PartNumber: 2, Body: 'end' }));
    const parts = await shop.send(new ListPartsCommand({ Bucket: 'big', Key: 'manual', UploadId }));
    assert.deepEqual(parts.Parts?.map((part) => [part.PartNumber, part.Size, part.ETag]), [[1, 9, small.ETag], [2, 3, second.ETag]]);
    const uploads = await shop.send(new ListMultipartUploadsCommand({ Bucket: 'big' }));
    assert.deepEqual(uploads.Uploads?.map((upload) => [upload.Key, upload.UploadId]), [['manual', UploadId]]);

    const complete = (Parts: Array<{ PartNumber: number; ETag: string }>) =>
      failure(shop.send(new CompleteMultipartUploadCommand({ Bucket: 'big', Key: 'manual', UploadId, MultipartUpload: { Parts } })));
    assert.equal((await complete([{ PartNumber: 2, ETag: second.ETag! }, { PartNumber: 1, ETag: small.ETag! }])).name, 'InvalidPartOrder');
    assert.equal((await complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }])).name, 'InvalidPart');
    assert.equal((await complete([{ PartNumber: 1, ETag: small.ETag! }, { PartNumber: 2, ETag: second.ETag! }])).name, 'EntityTooSmall');

    await shop.send(new AbortMultipartUploadCommand({ Bucket: 'big', Key: 'manual', UploadId }));
    assert.deepEqual(await failure(shop.send(new ListPartsCommand({ Bucket: 'big', Key: 'manual', UploadId }))), { name: 'NoSuchUpload', status: 404 });
  });

  it('completes a single small part, and copies a range of an object into a part', async () => {
    await shop.send(new PutObjectCommand({ Bucket: 'big', Key: 'alphabet', Body: 'abcdefghijklmnopqrstuvwxyz' }));
    const { UploadId } = await shop.send(new CreateMultipartUploadCommand({ Bucket: 'big', Key: 'from-copy' }));
    const part = await shop.send(
      new UploadPartCopyCommand({ Bucket: 'big', Key: 'from-copy', UploadId, PartNumber: 1, CopySource: 'big/alphabet', CopySourceRange: 'bytes=3-6' }),
    );
    const done = await shop.send(
      new CompleteMultipartUploadCommand({ Bucket: 'big', Key: 'from-copy', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult!.ETag! }] } }),
    );
    const expected = createHash('md5').update(createHash('md5').update('defg').digest()).digest('hex');
    assert.equal(done.ETag, `"${expected}-1"`);
    const got = await shop.send(new GetObjectCommand({ Bucket: 'big', Key: 'from-copy' }));
    assert.equal(await text(got.Body), 'defg');
  });
});

describe('signatures, payloads and presigned URLs', () => {
  before(async () => {
    await shop.send(new CreateBucketCommand({ Bucket: 'signed' }));
  });

  it('streams an aws-chunked body with a CRC32 trailer (the SDK default for a stream)', async () => {
    const chunks = [Buffer.alloc(70_000, 'a'), Buffer.alloc(70_000, 'b'), Buffer.from('tail')];
    const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    let sent: Record<string, string> = {};
    const command = new PutObjectCommand({ Bucket: 'signed', Key: 'streamed', Body: Readable.from(chunks), ContentLength: size });
    command.middlewareStack.add(
      (next) => async (args) => {
        sent = { ...(args.request as { headers: Record<string, string> }).headers };
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    const put = await shop.send(command);
    assert.equal(sent['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    assert.equal(sent['x-amz-trailer'], 'x-amz-checksum-crc32');
    assert.equal(put.ETag, `"${createHash('md5').update(Buffer.concat(chunks)).digest('hex')}"`);
    const got = await shop.send(new GetObjectCommand({ Bucket: 'signed', Key: 'streamed' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(chunks)));
  });

  it('refuses a body whose trailing checksum does not match with BadDigest', async () => {
    const command = new PutObjectCommand({ Bucket: 'signed', Key: 'bad-trailer', Body: Readable.from([Buffer.from('some data')]), ContentLength: 9 });
    command.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: AsyncIterable<Uint8Array> | Uint8Array };
        const parts: Buffer[] = [];
        for await (const chunk of request.body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
        const encoded = Buffer.concat(parts).toString('latin1');
        request.body = Buffer.from(encoded.replace(/x-amz-checksum-crc32:([A-Za-z0-9+/=]{8})/, 'x-amz-checksum-crc32:AAAAAA=='), 'latin1');
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    assert.deepEqual(await failure(shop.send(command)), { name: 'BadDigest', status: 400 });
    assert.equal((await failure(shop.send(new HeadObjectCommand({ Bucket: 'signed', Key: 'bad-trailer' })))).status, 404);
  });

  it('refuses a body changed after signing with XAmzContentSHA256Mismatch, and a wrong Content-MD5 with BadDigest', async () => {
    const changed = new PutObjectCommand({ Bucket: 'signed', Key: 'changed', Body: 'signed body', ChecksumAlgorithm: undefined });
    let declared = '';
    changed.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: unknown; headers: Record<string, string> };
        declared = request.headers['x-amz-content-sha256'] ?? '';
        // Same length: Content-Length is signed too, and the payload hash is what must catch it.
        request.body = 'evil! body!';
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    const refused = await failure(shop.send(changed));
    assert.match(declared, /^[0-9a-f]{64}$/);
    assert.equal(refused.name, 'XAmzContentSHA256Mismatch');
    assert.deepEqual(
      await failure(shop.send(new PutObjectCommand({ Bucket: 'signed', Key: 'md5', Body: 'abc', ContentMD5: createHash('md5').update('abd').digest('base64') }))),
      { name: 'BadDigest', status: 400 },
    );
  });

  it('answers SignatureDoesNotMatch for a wrong secret and InvalidAccessKeyId for an unknown key', async () => {
    const wrong = s3.client(s3.keys.a.id, 'not-the-secret');
    assert.deepEqual(await failure(wrong.send(new ListBucketsCommand({}))), { name: 'SignatureDoesNotMatch', status: 403 });
    const unknown = s3.client('AKIAUNKNOWN000000000', 'whatever');
    assert.deepEqual(await failure(unknown.send(new ListBucketsCommand({}))), { name: 'InvalidAccessKeyId', status: 403 });
    const anonymous = await fetch(`${s3.endpoint}/signed/streamed`);
    assert.equal(anonymous.status, 403);
    assert.match(await anonymous.text(), /<Code>AccessDenied<\/Code>/);
  });

  it('serves presigned GET and PUT URLs to plain fetch, and refuses an expired one', async () => {
    const putUrl = await getSignedUrl(shop, new PutObjectCommand({ Bucket: 'signed', Key: 'presigned.txt' }), { expiresIn: 300 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'via presigned PUT' });
    assert.equal(put.status, 200);
    assert.equal(put.headers.get('etag'), `"${createHash('md5').update('via presigned PUT').digest('hex')}"`);
    const getUrl = await getSignedUrl(shop, new GetObjectCommand({ Bucket: 'signed', Key: 'presigned.txt', ResponseContentType: 'text/x-override' }), { expiresIn: 300 });
    const got = await fetch(getUrl);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'via presigned PUT');
    assert.equal(got.headers.get('content-type'), 'text/x-override');
    const expiredUrl = await getSignedUrl(shop, new GetObjectCommand({ Bucket: 'signed', Key: 'presigned.txt' }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 3600_000),
    });
    const expired = await fetch(expiredUrl);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  });

  it('writes S3’s XML error with the key and request id', async () => {
    const url = await getSignedUrl(shop, new GetObjectCommand({ Bucket: 'signed', Key: 'no such/key.txt' }), { expiresIn: 300 });
    const response = await fetch(url);
    assert.equal(response.status, 404);
    const requestId = response.headers.get('x-amz-request-id');
    assert.match(requestId ?? '', /^[0-9A-F]{16}$/);
    const body = await response.text();
    assert.match(body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>no such\/key.txt<\/Key>/);
    assert.ok(body.includes(`<RequestId>${requestId}</RequestId></Error>`));
    const head = await fetch(url.replace('x-id=GetObject', 'x-id=GetObject'), { method: 'HEAD' });
    assert.equal(head.status, 403, 'a GET presign does not sign HEAD');
  });
});
