import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { captureLines, formatReport, LogTail, MAX_LINE_BYTES } from './log-capture.ts';

function capture(): { stream: PassThrough; lines: string[]; flush(): void } {
  const stream = new PassThrough();
  const lines: string[] = [];
  const { flush } = captureLines(stream, (line) => lines.push(line));
  return { stream, lines, flush };
}

describe('captureLines', () => {
  it('emits whole lines only, joining a line split across chunks', () => {
    const { stream, lines, flush } = capture();
    stream.write('first ha');
    stream.write('lf\nsecond\nthi');
    assert.deepEqual(lines, ['first half', 'second']);
    stream.write('rd');
    assert.deepEqual(lines, ['first half', 'second']);
    flush();
    assert.deepEqual(lines, ['first half', 'second', 'third']);
    flush();
    assert.equal(lines.length, 3, 'flush emits nothing more when nothing is pending');
  });

  it('keeps a multi-byte character split across chunks whole', () => {
    const { stream, lines } = capture();
    const euro = Buffer.from('€\n');
    stream.write(euro.subarray(0, 1));
    stream.write(euro.subarray(1));
    assert.deepEqual(lines, ['€']);
  });

  it('keeps empty lines', () => {
    const { stream, lines } = capture();
    stream.write('a\n\nb\n');
    assert.deepEqual(lines, ['a', '', 'b']);
  });

  it('cuts a line longer than MAX_LINE_BYTES and says how much it dropped', () => {
    const { stream, lines } = capture();
    const chunk = Buffer.alloc(64 * 1024, 'y');
    for (let i = 0; i < 8; i++) stream.write(chunk);
    stream.write('\nafter\n');
    assert.equal(lines.length, 2);
    assert.equal(lines[0], `${'y'.repeat(MAX_LINE_BYTES)} …[${8 * 64 * 1024 - MAX_LINE_BYTES} bytes cut]`);
    assert.equal(lines[1], 'after');
  });
});

describe('LogTail', () => {
  it('keeps every line while under the limit', () => {
    const tail = new LogTail(100);
    tail.push('one');
    tail.push('two');
    assert.equal(tail.text(), 'one\ntwo\n');
  });

  it('keeps the last whole lines that fit, dropping the oldest', () => {
    const tail = new LogTail(20);
    for (let i = 0; i < 10; i++) tail.push(`line ${i}`);
    assert.equal(tail.text(), 'line 8\nline 9\n');
  });

  it('cuts a single line longer than the limit to the limit', () => {
    const tail = new LogTail(10);
    tail.push('abcdefghijklmnop');
    assert.equal(tail.text(), 'ghijklmnop\n'.slice(-10));
  });
});

describe('formatReport', () => {
  const base = { requestId: 'r-1', durationMs: 12.345, billedDurationMs: 13, memorySizeMB: 128, maxMemoryUsedMB: 49 };

  it('prints Lambda REPORT fields, tab-separated, without Init Duration on a warm start', () => {
    assert.equal(
      formatReport({ ...base, initDurationMs: undefined }),
      'REPORT RequestId: r-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 49 MB',
    );
  });

  it('adds Init Duration on a cold start and Status and Error Type on a failure', () => {
    assert.equal(
      formatReport({ ...base, initDurationMs: 150.1, status: 'timeout', errorType: 'Sandbox.Timedout' }),
      'REPORT RequestId: r-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 49 MB' +
        '\tInit Duration: 150.10 ms\tStatus: timeout\tError Type: Sandbox.Timedout',
    );
  });
});
