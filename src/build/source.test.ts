import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Header, create, type types } from 'tar';
import { extractArchive } from './source.ts';

interface RawEntry {
  path: string;
  type?: types.EntryTypeName;
  content?: string;
  mode?: number;
  linkpath?: string;
}

/** A tar built header by header, so it can hold what a well-behaved packer never writes. */
function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.content ?? '');
    const header = new Header({
      path: entry.path,
      type: entry.type ?? 'File',
      size: body.length,
      mode: entry.mode ?? 0o644,
      mtime: new Date(0),
      linkpath: entry.linkpath ?? '',
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

async function* chunks(data: Buffer, size = 1000): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

const PROCFILE: RawEntry = { path: 'Procfile', content: 'web: index.handler\n' };

describe('extractArchive', () => {
  let root: string;
  let count = 0;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'laambda-source-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const target = () => path.join(root, `out-${++count}`);

  async function refused(entries: RawEntry[], pattern: RegExp): Promise<void> {
    await assert.rejects(extractArchive({ archive: chunks(rawTar(entries)), gzip: false, dir: target() }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_BUILD_SOURCE_INVALID');
      assert.match(error.message, pattern);
      return true;
    });
  }

  it('unpacks a tar.gz made from a directory, keeping file modes and inside symlinks', async () => {
    const app = path.join(root, 'app');
    await mkdir(path.join(app, 'lib'), { recursive: true });
    await writeFile(path.join(app, 'Procfile'), 'fn: handler.run\n');
    await writeFile(path.join(app, 'bootstrap'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    await writeFile(path.join(app, 'lib', 'data.txt'), 'data');
    await symlink('lib/data.txt', path.join(app, 'data-link'));
    const tarball = path.join(root, 'app.tgz');
    await create({ gzip: true, file: tarball, cwd: app, portable: true }, ['.']);
    const dir = target();
    const result = await extractArchive({ archive: chunks(await readFile(tarball), 333), gzip: true, dir });
    assert.deepEqual(result, { files: 3, bytes: 'fn: handler.run\n'.length + '#!/bin/sh\necho hi\n'.length + 4 });
    assert.equal((await stat(path.join(dir, 'bootstrap'))).mode & 0o777, 0o755);
    assert.equal((await stat(path.join(dir, 'Procfile'))).mode & 0o777, 0o644);
    assert.equal(await readlink(path.join(dir, 'data-link')), 'lib/data.txt');
    assert.equal(await readFile(path.join(dir, 'data-link'), 'utf8'), 'data');
  });

  it('unpacks a plain tar such as git archive sends', async () => {
    const dir = target();
    const result = await extractArchive({
      archive: chunks(rawTar([PROCFILE, { path: 'src/', type: 'Directory', mode: 0o755 }, { path: 'src/index.js', content: 'x' }])),
      gzip: false,
      dir,
    });
    assert.deepEqual(result, { files: 2, bytes: PROCFILE.content!.length + 1 });
    assert.equal(await readFile(path.join(dir, 'src/index.js'), 'utf8'), 'x');
  });

  it('unpacks what git archive sends, global pax header included', async () => {
    const repo = path.join(root, 'repo');
    await mkdir(repo);
    await writeFile(path.join(repo, 'Procfile'), 'fn: function.handler\n');
    await writeFile(path.join(repo, 'bootstrap'), '#!/bin/sh\n', { mode: 0o755 });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, env: { PATH: process.env.PATH, HOME: root } });
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'init');
    const dir = target();
    const result = await extractArchive({ archive: chunks(git('archive', '--format=tar', 'HEAD')), gzip: false, dir });
    assert.equal(result.files, 2);
    assert.equal((await stat(path.join(dir, 'bootstrap'))).mode & 0o777, 0o755);
  });

  it('refuses an entry whose path climbs out with ..', async () => {
    await refused([PROCFILE, { path: '../evil.js', content: 'x' }], /"\.\.\/evil\.js" points outside the app directory/);
    await refused([PROCFILE, { path: 'a/../../evil.js', content: 'x' }], /points outside/);
  });

  it('refuses an entry with an absolute path', async () => {
    await refused([PROCFILE, { path: '/tmp/evil.js', content: 'x' }], /"\/tmp\/evil\.js" has an absolute path/);
  });

  it('refuses symbolic links that point outside, directly or through another link', async () => {
    await refused([PROCFILE, { path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /symbolic link to "\/etc\/passwd"/);
    await refused([PROCFILE, { path: 'up', type: 'SymbolicLink', linkpath: '../..' }], /symbolic link to "\.\.\/\.\."/);
    await refused(
      [PROCFILE, { path: 'a', type: 'SymbolicLink', linkpath: '.' }, { path: 'b', type: 'SymbolicLink', linkpath: 'a/..' }],
      /"b" is a symbolic link that resolves outside/,
    );
  });

  it('refuses hard links to outside and device files', async () => {
    await refused([PROCFILE, { path: 'h', type: 'Link', linkpath: '../../etc/passwd' }], /hard link to "\.\.\/\.\.\/etc\/passwd"/);
    await refused([PROCFILE, { path: 'dev', type: 'CharacterDevice' }], /"dev" is a device file or pipe/);
    await refused([PROCFILE, { path: 'fifo', type: 'FIFO' }], /"fifo" is a device file or pipe/);
  });

  it('keeps hard links inside the archive', async () => {
    const dir = target();
    await extractArchive({
      archive: chunks(rawTar([PROCFILE, { path: 'a.txt', content: 'same' }, { path: 'b.txt', type: 'Link', linkpath: 'a.txt' }])),
      gzip: false,
      dir,
    });
    assert.equal(await readFile(path.join(dir, 'b.txt'), 'utf8'), 'same');
  });

  it('refuses an archive that unpacks past the size limit', async () => {
    await assert.rejects(
      extractArchive({ archive: chunks(rawTar([PROCFILE, { path: 'big', content: 'x'.repeat(2000) }])), gzip: false, dir: target(), maxBytes: 1024 }),
      { code: 'ERR_BUILD_SOURCE_INVALID', message: /unpacks to more than 1\.0 KB/ },
    );
  });

  it('says a corrupt archive is not a valid archive', async () => {
    const garbage = Buffer.from('this is not a tarball at all '.repeat(40));
    await assert.rejects(extractArchive({ archive: chunks(garbage), gzip: false, dir: target() }), {
      code: 'ERR_BUILD_SOURCE_INVALID',
      message: /not a valid tar archive/,
    });
    const truncated = gzipSync(rawTar([PROCFILE])).subarray(0, 30);
    await assert.rejects(extractArchive({ archive: chunks(truncated), gzip: true, dir: target() }), {
      code: 'ERR_BUILD_SOURCE_INVALID',
      message: /not a valid gzip-compressed tar archive/,
    });
    await assert.rejects(extractArchive({ archive: chunks(Buffer.alloc(0)), gzip: false, dir: target() }), {
      code: 'ERR_BUILD_SOURCE_INVALID',
    });
  });

  it('refuses an archive without a Procfile, and says so when it sits one directory down', async () => {
    await refused([{ path: 'index.js', content: 'x' }], /no Procfile at its top level$/);
    await refused([{ path: 'myapp/Procfile', content: 'web: index.handler\n' }], /it is in "myapp\/"/);
  });
});
