import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolvePython } from '../runtime/index.ts';
import { cacheEntryDir, type DependencyPlan, installToCache, isCached, materializeDependencies, planDependencies } from './dependencies.ts';

describe('dependency cache', () => {
  let root: string;
  let count = 0;
  let hostEnv: NodeJS.ProcessEnv;
  const python = () => resolvePython(undefined, process.env).path;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'laambda-deps-'));
    hostEnv = { PATH: process.env.PATH, HOME: path.join(root, 'home'), npm_config_cache: path.join(root, 'npm-cache') };
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function app(files: Record<string, string>): Promise<string> {
    const dir = path.join(root, `app-${++count}`);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
    return dir;
  }
  const plan = (kind: 'node' | 'python', codeDir: string) => planDependencies({ kind, codeDir, python, hostEnv });

  it('plans nothing without a manifest or without runtime dependencies', async () => {
    assert.equal(await plan('node', await app({ 'index.js': '' })), undefined);
    assert.equal(await plan('node', await app({ 'package.json': JSON.stringify({ devDependencies: { x: '1' } }) })), undefined);
    assert.equal(await plan('python', await app({ 'requirements.txt': '# nothing yet\n\n' })), undefined);
  });

  it('keys node dependencies by package.json and the lockfile, and picks npm ci when locked', async () => {
    const manifest = JSON.stringify({ dependencies: { x: '1.0.0' } });
    const unlocked = await plan('node', await app({ 'package.json': manifest }));
    const locked = await plan('node', await app({ 'package.json': manifest, 'package-lock.json': '{"lockfileVersion":3}' }));
    const same = await plan('node', await app({ 'package.json': manifest, 'package-lock.json': '{"lockfileVersion":3}' }));
    const relocked = await plan('node', await app({ 'package.json': manifest, 'package-lock.json': '{"lockfileVersion":3,"x":1}' }));
    assert.equal(unlocked?.display, 'npm install --omit=dev --no-package-lock');
    assert.equal(locked?.display, 'npm ci --omit=dev');
    assert.equal(locked?.key, same?.key);
    assert.notEqual(locked?.key, unlocked?.key);
    assert.notEqual(locked?.key, relocked?.key);
  });

  it('puts the content of local tarballs and wheels into the key', async () => {
    const node = (content: string) =>
      app({ 'package.json': JSON.stringify({ dependencies: { d: 'file:vendor/d.tgz' } }), 'vendor/d.tgz': content });
    assert.notEqual((await plan('node', await node('one')))?.key, (await plan('node', await node('two')))?.key);
    const py = (content: string, constraint: string) =>
      app({ 'requirements.txt': './wheels/p-1.0-py3-none-any.whl\n-c constraints.txt\n', 'wheels/p-1.0-py3-none-any.whl': content, 'constraints.txt': constraint });
    const first = await plan('python', await py('one', 'a==1'));
    assert.equal(first?.display, 'pip install -r requirements.txt');
    assert.equal(first?.key, (await plan('python', await py('one', 'a==1')))?.key);
    assert.notEqual(first?.key, (await plan('python', await py('two', 'a==1')))?.key);
    assert.notEqual(first?.key, (await plan('python', await py('one', 'a==2')))?.key);
  });

  it('refuses a package.json that is not JSON', async () => {
    await assert.rejects(plan('node', await app({ 'package.json': '{ nope' })), { code: 'ERR_BUILD_DEPENDENCIES_FAILED', message: /package\.json is not valid JSON/ });
  });

  it('hard-links python packages into the code root, where the app\'s own files win', async () => {
    const cacheDir = path.join(root, 'cache-link');
    const fake: DependencyPlan = { kind: 'python', key: 'k'.repeat(64), display: 'pip install', tool: 'pip' };
    const entry = path.join(cacheEntryDir(cacheDir, fake), 'python');
    await mkdir(path.join(entry, 'pkg'), { recursive: true });
    await writeFile(path.join(entry, 'pkg', '__init__.py'), 'VALUE = 1\n');
    await writeFile(path.join(entry, 'util.py'), 'installed\n');
    await symlink('pkg/__init__.py', path.join(entry, 'alias.py'));
    const code = await app({ 'app.py': '', 'util.py': 'mine\n' });
    assert.equal(await isCached(cacheDir, fake), true);
    const result = await materializeDependencies(fake, cacheDir, code);
    assert.deepEqual(result, { files: 1, kept: ['util.py'] });
    assert.equal(await readFile(path.join(code, 'util.py'), 'utf8'), 'mine\n');
    assert.equal((await stat(path.join(code, 'pkg', '__init__.py'))).nlink, 2);
    assert.equal(await readlink(path.join(code, 'alias.py')), 'pkg/__init__.py');
  });

  it('gives builds racing on one key a single whole cache entry', { timeout: 60_000 }, async () => {
    const packs = path.join(root, 'packs');
    await mkdir(path.join(packs, 'dep'), { recursive: true });
    await writeFile(path.join(packs, 'dep', 'package.json'), JSON.stringify({ name: 'dep', version: '1.0.0' }));
    await writeFile(path.join(packs, 'dep', 'index.js'), 'module.exports = 1;\n');
    const code = await app({ 'package.json': JSON.stringify({ name: 'racer', version: '1.0.0', dependencies: { dep: 'file:vendor/dep-1.0.0.tgz' } }) });
    await mkdir(path.join(code, 'vendor'));
    execFileSync('npm', ['pack', path.join(packs, 'dep'), '--pack-destination', path.join(code, 'vendor')], { env: hostEnv, stdio: 'ignore' });
    const racePlan = (await plan('node', code))!;
    const cacheDir = path.join(root, 'cache-race');
    const options = { codeDir: code, cacheDir, python, hostEnv, onLine: () => {} };
    await Promise.all([installToCache(racePlan, options), installToCache(racePlan, options)]);
    assert.deepEqual(await readdir(path.join(cacheDir, 'deps')), [racePlan.key], 'no temporary entries left behind');
    const entry = cacheEntryDir(cacheDir, racePlan);
    assert.equal(await readFile(path.join(entry, 'node_modules', 'dep', 'index.js'), 'utf8'), 'module.exports = 1;\n');
    assert.deepEqual((await readdir(entry)).sort(), ['node_modules', 'package.json'], 'only the manifests and node_modules');
  });
});
