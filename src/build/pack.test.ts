import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { extract } from 'tar';
import { packDirectory } from './pack.ts';

async function write(root: string, file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}

describe('packDirectory', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'laambda-pack-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('packs what git would track, minus .laambdaignore, and never installer or laambda state', async () => {
    const app = path.join(dir, 'app');
    await write(app, 'Procfile', 'hello: index.handler\n');
    await write(app, 'index.js', 'exports.handler = async () => 1;\n');
    await write(app, '.gitignore', '*.log\ndist/\n!keep.log\n');
    await write(app, '.laambdaignore', 'docs/\nsecret.txt\n');
    await write(app, 'debug.log', 'x');
    await write(app, 'keep.log', 'kept');
    await write(app, 'dist/bundle.js', 'x');
    await write(app, 'docs/readme.md', 'x');
    await write(app, 'secret.txt', 'x');
    await write(app, 'lib/.gitignore', 'generated.js\n!important.log\n');
    await write(app, 'lib/generated.js', 'x');
    await write(app, 'lib/util.js', 'module.exports = 1;\n');
    await write(app, 'lib/important.log', 'kept by the nested file');
    await write(app, 'lib/other.log', 'ignored by the root file');
    await write(app, 'node_modules/left-pad/index.js', 'x');
    await write(app, 'lib/node_modules/x/index.js', 'x');
    await write(app, '.git/HEAD', 'ref: refs/heads/main\n');
    await write(app, '.laambda/dev.json', '{}');
    await write(app, 'py/__pycache__/mod.cpython-312.pyc', 'x');
    await write(app, 'py/mod.py', 'def handler(e, c): return 1\n');
    const { files, bytes } = await packDirectory(app);
    assert.deepEqual(files, [
      '.gitignore',
      '.laambdaignore',
      'Procfile',
      'index.js',
      'keep.log',
      'lib/.gitignore',
      'lib/important.log',
      'lib/util.js',
      'py/mod.py',
    ]);
    assert.ok(bytes > 0);
  });

  it('refuses a directory where every file is ignored', async () => {
    const app = path.join(dir, 'empty');
    await write(app, 'node_modules/x.js', 'x');
    await assert.rejects(packDirectory(app), { code: 'ERR_BUILD_SOURCE_INVALID' });
  });

  it('streams a gzip tar that extracts to the same files, keeping executable and private modes and symlinks', async () => {
    const app = path.join(dir, 'modes');
    await write(app, 'Procfile', 'fn: bootstrap\n');
    await write(app, 'bootstrap', '#!/bin/sh\necho hi\n');
    await chmod(path.join(app, 'bootstrap'), 0o755);
    await write(app, 'data/private.txt', 'ro');
    await chmod(path.join(app, 'data/private.txt'), 0o600);
    await symlink('data/private.txt', path.join(app, 'link.txt'));
    const packed = await packDirectory(app);
    assert.deepEqual(packed.files, ['Procfile', 'bootstrap', 'data/private.txt', 'link.txt']);
    assert.equal(packed.bytes, 'fn: bootstrap\n'.length + '#!/bin/sh\necho hi\n'.length + 2);

    const out = path.join(dir, 'extracted');
    await mkdir(out);
    await pipeline(packed.stream, extract({ cwd: out }));
    assert.equal((await stat(path.join(out, 'bootstrap'))).mode & 0o777, 0o755);
    assert.equal((await stat(path.join(out, 'data/private.txt'))).mode & 0o777, 0o600);
    assert.equal(await readFile(path.join(out, 'Procfile'), 'utf8'), 'fn: bootstrap\n');
    assert.equal(await readlink(path.join(out, 'link.txt')), 'data/private.txt');
  });
});
