import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import yazl from 'yazl';
import { unzipArtifact, zipDirectory } from './artifact.ts';

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function makeTree(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'node_modules', 'dep', 'bin'), { recursive: true });
  await mkdir(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  await mkdir(path.join(dir, 'empty'));
  await writeFile(path.join(dir, 'Procfile'), 'fn: handler.run\n');
  await writeFile(path.join(dir, 'bootstrap'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await writeFile(path.join(dir, 'secret.txt'), 'only me', { mode: 0o600 });
  await writeFile(path.join(dir, 'node_modules', 'dep', 'bin', 'cli.js'), '#!/usr/bin/env node\n', { mode: 0o755 });
  await writeFile(path.join(dir, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;\n'.repeat(100));
  await symlink('../dep/bin/cli.js', path.join(dir, 'node_modules', '.bin', 'dep'));
}

describe('zipDirectory and unzipArtifact', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'laambda-artifact-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips a tree with its modes, empty directories and inside symlinks', async () => {
    const tree = path.join(root, 'tree');
    await makeTree(tree);
    const zip = path.join(root, 'tree.zip');
    const zipped = await zipDirectory(tree, zip);
    assert.deepEqual(zipped, { files: 5, bytes: 16 + 18 + 7 + 20 + 2000 });
    const out = path.join(root, 'out');
    const unzipped = await unzipArtifact(zip, out);
    assert.deepEqual(unzipped, zipped);
    assert.equal((await stat(path.join(out, 'bootstrap'))).mode & 0o777, 0o755);
    assert.equal((await stat(path.join(out, 'secret.txt'))).mode & 0o777, 0o600);
    assert.equal((await stat(path.join(out, 'Procfile'))).mode & 0o777, 0o644);
    assert.equal(await readlink(path.join(out, 'node_modules', '.bin', 'dep')), '../dep/bin/cli.js');
    assert.equal(await readFile(path.join(out, 'node_modules', '.bin', 'dep'), 'utf8'), '#!/usr/bin/env node\n');
    assert.ok((await stat(path.join(out, 'empty'))).isDirectory());
    assert.equal(await readFile(path.join(out, 'node_modules', 'dep', 'index.js'), 'utf8'), 'module.exports = 1;\n'.repeat(100));
  });

  it('gives the same bytes for the same tree, whatever the files\' times', async () => {
    const first = path.join(root, 'same-1');
    const second = path.join(root, 'same-2');
    await makeTree(first);
    await makeTree(second);
    await utimes(path.join(second, 'Procfile'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    await zipDirectory(first, path.join(root, 'same-1.zip'));
    await zipDirectory(second, path.join(root, 'same-2.zip'));
    assert.equal(await sha256(path.join(root, 'same-1.zip')), await sha256(path.join(root, 'same-2.zip')));
    await writeFile(path.join(second, 'Procfile'), 'fn: handler.other\n');
    await zipDirectory(second, path.join(root, 'same-3.zip'));
    assert.notEqual(await sha256(path.join(root, 'same-1.zip')), await sha256(path.join(root, 'same-3.zip')));
  });

  it('stores a symlink that points outside the tree as the file it points to', async () => {
    const tree = path.join(root, 'outside-link');
    await mkdir(tree);
    await writeFile(path.join(root, 'elsewhere.txt'), 'elsewhere');
    await symlink(path.join(root, 'elsewhere.txt'), path.join(tree, 'copy.txt'));
    await zipDirectory(tree, path.join(root, 'outside-link.zip'));
    const out = path.join(root, 'outside-link-out');
    await unzipArtifact(path.join(root, 'outside-link.zip'), out);
    assert.ok((await stat(path.join(out, 'copy.txt'))).isFile());
    assert.equal(await readFile(path.join(out, 'copy.txt'), 'utf8'), 'elsewhere');
  });

  async function craftedZip(file: string, add: (zip: yazl.ZipFile) => void, patch?: [string, string]): Promise<void> {
    const zip = new yazl.ZipFile();
    add(zip);
    zip.end();
    const parts: Buffer[] = [];
    for await (const part of zip.outputStream) parts.push(part as Buffer);
    let bytes = Buffer.concat(parts);
    // yazl refuses escaping names, so write a same-length name and patch it in (the CRC covers data only).
    if (patch !== undefined) bytes = Buffer.from(bytes.toString('latin1').split(patch[0]).join(patch[1]), 'latin1');
    await writeFile(file, bytes);
  }

  it('refuses a zip entry that climbs out of the destination', async () => {
    const file = path.join(root, 'escape.zip');
    await craftedZip(file, (zip) => zip.addBuffer(Buffer.from('evil'), 'xx/evil.js'), ['xx/evil.js', '../evil.js']);
    await assert.rejects(unzipArtifact(file, path.join(root, 'escape-out')), {
      code: 'ERR_BUILD_SOURCE_INVALID',
      message: /invalid relative path: \.\.\/evil\.js/,
    });
    await assert.rejects(stat(path.join(root, 'evil.js')), { code: 'ENOENT' });
  });

  it('refuses a zip symlink that points outside the destination', async () => {
    const file = path.join(root, 'link-escape.zip');
    await craftedZip(file, (zip) => zip.addBuffer(Buffer.from('/etc/passwd'), 'passwd', { mode: 0o120777 }));
    await assert.rejects(unzipArtifact(file, path.join(root, 'link-escape-out')), {
      code: 'ERR_BUILD_SOURCE_INVALID',
      message: /"passwd" is a symbolic link to "\/etc\/passwd"/,
    });
  });

  it('refuses a file that is not a zip', async () => {
    const file = path.join(root, 'not.zip');
    await writeFile(file, 'not a zip at all');
    await assert.rejects(unzipArtifact(file, path.join(root, 'not-out')), { code: 'ERR_BUILD_SOURCE_INVALID' });
  });
});
