// `Content-Encoding: aws-chunked` bodies, as SDK v3 uploads by default:
//   hex-size[;chunk-signature=sig]\r\n DATA \r\n ... 0[;chunk-signature=sig]\r\n [trailer: value\r\n]* \r\n
// decoded into the plain bytes, with the trailers kept for the checksum check at the end.
// Chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) are read but not verified: the
// authenticate port does not hand out the signing key.
import { Transform, type TransformCallback } from 'node:stream';
import { BucketError } from '../../events/bucket/index.ts';

const MAX_LINE = 8192;

function incomplete(message: string): BucketError {
  return new BucketError('IncompleteBody', message);
}

export class AwsChunkedDecoder extends Transform {
  /** Trailer values by lower-case name, known once the stream has ended. */
  readonly trailers = new Map<string, string>();
  #state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  #line = '';
  #remaining = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.#consume(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    // A final `0\r\n` without the closing blank line still ends the body cleanly.
    if (this.#state === 'done' || (this.#state === 'trailer' && this.#line === '')) done();
    else done(incomplete('The aws-chunked body ended before its final chunk'));
  }

  #consume(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#state === 'data') {
        const take = Math.min(this.#remaining, chunk.length - at);
        this.push(chunk.subarray(at, at + take));
        this.#remaining -= take;
        at += take;
        if (this.#remaining === 0) this.#state = 'data-end';
        continue;
      }
      if (this.#state === 'done') {
        // Anything after the final blank line is not part of the object.
        return;
      }
      const newline = chunk.indexOf(0x0a, at);
      const end = newline === -1 ? chunk.length : newline + 1;
      this.#line += chunk.toString('latin1', at, end);
      at = end;
      if (this.#line.length > MAX_LINE) throw incomplete('An aws-chunked header line is too long');
      if (newline === -1) continue;
      const line = this.#line.replace(/\r?\n$/, '');
      this.#line = '';
      this.#onLine(line);
    }
  }

  #onLine(line: string): void {
    if (this.#state === 'data-end') {
      if (line !== '') throw incomplete('An aws-chunked chunk is longer than its declared size');
      this.#state = 'size';
      return;
    }
    if (this.#state === 'size') {
      const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(line)?.[1];
      if (size === undefined) throw incomplete(`Not an aws-chunked chunk header: ${JSON.stringify(line.slice(0, 80))}`);
      this.#remaining = Number.parseInt(size, 16);
      this.#state = this.#remaining === 0 ? 'trailer' : 'data';
      return;
    }
    if (line === '') {
      this.#state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw incomplete(`Not an aws-chunked trailer: ${JSON.stringify(line.slice(0, 80))}`);
    this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
}
