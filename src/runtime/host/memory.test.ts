import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { createMemoryGuard, readProcessMemory } from './memory.ts';

describe('readProcessMemory', () => {
  it('reads the resident set and its peak of a live process', () => {
    const { peak, rss } = readProcessMemory(process.pid);
    assert.ok(rss > 10 * 1024 * 1024, `rss ${rss}`);
    assert.ok(peak >= rss);
  });

  it('reads zeros for a process that is gone', () => {
    assert.deepEqual(readProcessMemory(2 ** 22 + 1), { peak: 0, rss: 0 });
  });
});

describe('watchdog memory guard', () => {
  it('kills a process past its limit and reports the peak it saw', async () => {
    const guard = createMemoryGuard('watchdog', 10);
    assert.equal(guard.mode, 'watchdog');
    const hog = spawn(process.execPath, ['-e', 'const kept = []; setInterval(() => kept.push(Buffer.alloc(8 << 20, 1)), 5);'], {
      stdio: 'ignore',
    });
    const exited = once(hog, 'exit');
    let exceeded = 0;
    const handle = guard.attach(hog.pid!, 128, () => {
      exceeded++;
      hog.kill('SIGKILL');
    });
    try {
      const [, signal] = await exited;
      assert.equal(signal, 'SIGKILL');
      assert.equal(exceeded, 1);
      assert.equal(handle.oomKilled(), true);
      assert.ok(handle.peakMB() > 128, `peak ${handle.peakMB()} MB`);
      assert.deepEqual(handle.pids(), [hog.pid]);
    } finally {
      hog.kill('SIGKILL');
      handle.release();
      guard.close();
    }
  });

  it('measures without killing a process under its limit', () => {
    const guard = createMemoryGuard('watchdog', 10);
    let exceeded = false;
    const handle = guard.attach(process.pid, 10_240, () => {
      exceeded = true;
    });
    assert.ok(handle.peakMB() > 10);
    assert.equal(handle.oomKilled(), false);
    assert.equal(exceeded, false);
    handle.release();
    guard.close();
  });
});
