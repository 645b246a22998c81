// The elb bench's own parts: the generated log is deterministic and every line is one the
// example's parser reads; the listener counts lines, bad JSON and line ends across packets.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { elbLines, STORY_LINES, writeElbLog } from './generator.ts';
import { startReceiver } from './receiver.ts';

// The example is plain JavaScript for users to copy; it is loaded here without type-checking it.
const parserUrl = new URL('../../examples/elb-logs-processor/parse.mjs', import.meta.url).href;
interface ElbEntry {
  request_method: string;
  elb_status_code: number | null;
  user_agent: string | null;
  backend_ip: string | null;
}
const { parseLine } = (await import(parserUrl)) as { parseLine(line: string): ElbEntry };

describe('elb log generator', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'laambda-elb-gen-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the story-sized file, the same bytes for the same seed, about 300 bytes a line', async () => {
    const a = await writeElbLog(path.join(dir, 'a.log'));
    const b = await writeElbLog(path.join(dir, 'b.log'));
    const digest = (file: string) => createHash('sha256').update(readFileSync(path.join(dir, file))).digest('hex');
    assert.equal(a.lines, STORY_LINES);
    assert.equal(digest('a.log'), digest('b.log'));
    assert.equal(readFileSync(path.join(dir, 'a.log'), 'utf8').split('\n').length, STORY_LINES + 1);
    assert.ok(a.bytes / a.lines > 250 && a.bytes / a.lines < 350, `${a.bytes / a.lines} bytes a line`);
    assert.notEqual([...elbLines(5, 1)].join(), [...elbLines(5, 2)].join());
  });

  it('makes lines the example parses, with a mix of methods, statuses and quoted user agents', () => {
    const methods = new Set<string>();
    const statuses = new Set<number | null>();
    let quoted = 0;
    let noBackend = 0;
    for (const line of elbLines(5000)) {
      const entry = parseLine(line);
      methods.add(entry.request_method);
      statuses.add(entry.elb_status_code);
      if (entry.user_agent?.includes('"')) quoted += 1;
      if (entry.backend_ip === null) noBackend += 1;
    }
    assert.ok(methods.size >= 6, [...methods].join());
    assert.ok(statuses.size >= 10, [...statuses].join());
    assert.ok(quoted > 0 && noBackend > 0);
  });
});

describe('JSON-lines receiver', () => {
  it('counts lines split across packets and connections, bad JSON apart, and resolves at N', async () => {
    const values: unknown[] = [];
    const receiver = await startReceiver({ onValue: (value) => values.push(value) });
    try {
      const waiting = receiver.waitFor(4, 5000);
      const connect = () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(receiver.port, '127.0.0.1', () => resolve(socket));
        });
      const one = await connect();
      const two = await connect();
      one.write('{"a":1}\n{"a"');
      two.write('not json\n');
      one.write(':2}\n');
      two.end('{"b":3}\n');
      const counts = await waiting;
      assert.equal(counts.lines, 4);
      assert.equal(counts.bad, 1);
      assert.equal(counts.connections, 2);
      assert.ok(counts.lastLineAt > 0);
      assert.deepEqual(values.map((value) => JSON.stringify(value)).sort(), ['{"a":1}', '{"a":2}', '{"b":3}']);
      receiver.reset();
      assert.equal(receiver.counts().lines, 0);
      await assert.rejects(receiver.waitFor(1, 50), /got 0 of 1 lines/);
      one.destroy();
    } finally {
      await receiver.close();
    }
  });
});
