import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { directorySize } from './tmp-size.ts';

describe('directorySize', () => {
  it('adds up files in nested directories without following links', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'laambda-tmp-size-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    await writeFile(path.join(dir, 'one'), Buffer.alloc(1000));
    await writeFile(path.join(dir, 'a', 'b', 'two'), Buffer.alloc(234));
    await symlink('/usr', path.join(dir, 'link'));
    const size = await directorySize(dir);
    assert.ok(size >= 1234 && size < 1234 + 100, `${size} bytes`);
  });

  it('is 0 for a directory that does not exist', async () => {
    assert.equal(await directorySize(path.join(tmpdir(), 'laambda-no-such-dir-', String(process.pid))), 0);
  });
});
