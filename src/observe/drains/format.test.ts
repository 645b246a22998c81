import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DrainEntry } from '../../core/drains.ts';
import { escapeSdValue, formatJsonLine, formatSyslog, formatSyslogFrame, frameOctetCounted, syslogHeaderField, syslogPriority } from './format.ts';
import { backoffDelay } from './sender.ts';

const entry: DrainEntry = {
  id: 42,
  time: Date.UTC(2024, 4, 6, 7, 8, 9, 123),
  appId: 'app-1',
  function: 'resize',
  release: 7,
  requestId: 'req-1',
  stream: 'stdout',
  type: null,
  line: 'hello "world"',
};

describe('formatJsonLine', () => {
  it('writes one JSON object per line with the time logstash reads and every field', () => {
    const text = formatJsonLine({ ...entry, line: 'two\nlines' }, 'shop');
    assert.ok(text.endsWith('\n'));
    assert.equal(text.indexOf('\n'), text.length - 1, 'a line break inside the message is escaped');
    assert.deepEqual(JSON.parse(text), {
      '@timestamp': '2024-05-06T07:08:09.123Z',
      app: 'shop',
      function: 'resize',
      release: 7,
      requestId: 'req-1',
      stream: 'stdout',
      type: null,
      message: 'two\nlines',
      id: 42,
    });
  });
});

describe('syslog format', () => {
  it('maps streams to priorities: user.info, user.err, local0.info, local0.notice', () => {
    assert.deepEqual(
      (['stdout', 'stderr', 'platform', 'event'] as const).map(syslogPriority),
      [14, 11, 134, 133],
    );
  });

  it('writes an RFC 5424 message with our structured data', () => {
    assert.equal(
      formatSyslog(entry, 'shop'),
      '<14>1 2024-05-06T07:08:09.123Z laambda shop resize stdout [laambda@32473 release="7" requestId="req-1"] hello "world"',
    );
  });

  it('uses "-" for a missing function and leaves out missing parameters', () => {
    const event: DrainEntry = { ...entry, function: null, release: null, requestId: null, stream: 'event', type: 'deploy', line: 'deployed v7' };
    assert.equal(formatSyslog(event, 'shop'), '<133>1 2024-05-06T07:08:09.123Z laambda shop - event [laambda@32473 type="deploy"] deployed v7');
    const bare: DrainEntry = { ...event, type: null };
    assert.equal(formatSyslog(bare, 'shop'), '<133>1 2024-05-06T07:08:09.123Z laambda shop - event [laambda@32473] deployed v7');
  });

  it('escapes ", \\ and ] in parameter values', () => {
    assert.equal(escapeSdValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
    const message = formatSyslog({ ...entry, requestId: 'x"]\\y' }, 'shop');
    assert.ok(message.includes('requestId="x\\"\\]\\\\y"]'));
  });

  it('keeps header fields printable and within their length', () => {
    assert.equal(syslogHeaderField('my app\u00e9', 48), 'my_app_');
    assert.equal(syslogHeaderField('x'.repeat(60), 48).length, 48);
    assert.equal(syslogHeaderField('', 48), '-');
  });

  it('frames with the length in bytes, not characters', () => {
    assert.equal(frameOctetCounted('héllo'), '6 héllo');
    const framed = formatSyslogFrame({ ...entry, line: 'ünïcode' }, 'shop');
    const [length, ...rest] = framed.split(' ');
    assert.equal(Number(length), Buffer.byteLength(rest.join(' ')));
  });
});

describe('backoffDelay', () => {
  it('doubles from the minimum up to the maximum, jittered in the upper half', () => {
    const options = { minMs: 100, maxMs: 5000 };
    assert.deepEqual([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, options, () => 1)), [100, 200, 400, 800]);
    assert.equal(backoffDelay(20, options, () => 1), 5000);
    assert.equal(backoffDelay(20, options, () => 0), 2500);
    assert.equal(backoffDelay(0, options, () => 0), 100);
  });
});
