import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { AwsChunkedDecoder } from './chunked.ts';

async function decode(encoded: string | Buffer, split = 3): Promise<{ data: Buffer; trailers: Map<string, string> }> {
  const bytes = Buffer.isBuffer(encoded) ? encoded : Buffer.from(encoded, 'latin1');
  // Feed it in small pieces: headers and CRLFs must survive being cut anywhere.
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += split) pieces.push(bytes.subarray(at, at + split));
  const decoder = new AwsChunkedDecoder();
  const data = await buffer(Readable.from(pieces).pipe(decoder));
  return { data, trailers: decoder.trailers };
}

describe('AwsChunkedDecoder', () => {
  it('decodes unsigned chunks and keeps the checksum trailer', async () => {
    const { data, trailers } = await decode('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    assert.equal(data.toString(), 'hello world');
    assert.equal(trailers.get('x-amz-checksum-crc32'), 'DUoRhQ==');
  });

  it('decodes signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', async () => {
    const sig = 'a'.repeat(64);
    const { data } = await decode(`400;chunk-signature=${sig}\r\n${'x'.repeat(1024)}\r\n3;chunk-signature=${sig}\r\nend\r\n0;chunk-signature=${sig}\r\n\r\n`, 7);
    assert.equal(data.length, 1027);
    assert.equal(data.subarray(1024).toString(), 'end');
  });

  it('passes binary data through untouched, CRLFs included', async () => {
    const payload = Buffer.from([0x0d, 0x0a, 0x00, 0xff, 0x0d, 0x0a, 0x30]);
    const encoded = Buffer.concat([Buffer.from('7\r\n'), payload, Buffer.from('\r\n0\r\n\r\n')]);
    const { data } = await decode(encoded, 1);
    assert.ok(data.equals(payload));
  });

  it('fails a body cut before its final chunk, and a chunk longer than declared', async () => {
    await assert.rejects(decode('5\r\nhel'), { name: 'BucketError', s3Code: 'IncompleteBody' });
    await assert.rejects(decode('2\r\nhello\r\n0\r\n\r\n'), { s3Code: 'IncompleteBody' });
    await assert.rejects(decode('zz\r\n'), { s3Code: 'IncompleteBody' });
  });
});
