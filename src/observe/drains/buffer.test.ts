import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DrainEntry } from '../../core/drains.ts';
import { DRAIN_EVENT_TYPE } from '../../core/drains.ts';
import { DrainBuffer } from './buffer.ts';

function entry(id: number, extra: Partial<DrainEntry> = {}): DrainEntry {
  return { id, time: 0, appId: 'a', function: null, release: null, requestId: null, stream: 'stdout', type: null, line: `line ${id}`, ...extra };
}

describe('DrainBuffer', () => {
  it('gives entries back oldest first, across the ring wrapping around', () => {
    const buffer = new DrainBuffer(4);
    for (let id = 1; id <= 3; id += 1) buffer.push(entry(id));
    assert.deepEqual(buffer.take(2).map((e) => e.id), [1, 2]);
    for (let id = 4; id <= 6; id += 1) buffer.push(entry(id));
    assert.equal(buffer.length, 4);
    assert.deepEqual(buffer.take(10).map((e) => e.id), [3, 4, 5, 6]);
    assert.equal(buffer.length, 0);
  });

  it('drops the oldest entries when full and counts them', () => {
    const buffer = new DrainBuffer(3);
    const pushedOut = [1, 2, 3, 4, 5].map((id) => buffer.push(entry(id)));
    assert.deepEqual(pushedOut, [0, 0, 0, 1, 1]);
    assert.equal(buffer.dropped, 2);
    assert.deepEqual(buffer.take(3).map((e) => e.id), [3, 4, 5]);
  });

  it('does not let a dropped-lines event push out another line', () => {
    const buffer = new DrainBuffer(2);
    buffer.push(entry(1));
    buffer.push(entry(2));
    assert.equal(buffer.push(entry(3, { stream: 'event', type: DRAIN_EVENT_TYPE })), 0);
    assert.equal(buffer.dropped, 0);
    assert.deepEqual(buffer.take(2).map((e) => e.id), [1, 2]);
  });
});
