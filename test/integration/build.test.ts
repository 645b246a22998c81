// The server's build pipeline through real npm and pip, with local packages only (no PyPI,
// no registry downloads): archive in, code directory and stored zip artifact out.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { create } from 'tar';
import { unzipArtifact } from '../../src/build/artifact.ts';
import { type BuildEvent, type BuildOutput, runBuild } from '../../src/build/pipeline.ts';
import { resolvePython } from '../../src/runtime/index.ts';
import { writeGreetWheel } from '../support/python.ts';
import { FsBlobStore } from '../../src/storage/index.ts';

const run = promisify(execFile);

type Files = Record<string, string | { content: string; mode: number }>;

async function writeTree(dir: string, files: Files): Promise<void> {
  for (const [name, file] of Object.entries(files)) {
    const full = path.join(dir, name);
    await mkdir(path.dirname(full), { recursive: true });
    if (typeof file === 'string') await writeFile(full, file);
    else {
      await writeFile(full, file.content);
      await chmod(full, file.mode);
    }
  }
}

function pkg(name: string, version: string, main = `module.exports = '${name}@${version}';\n`): Files {
  return {
    [`${name}/package.json`]: JSON.stringify({ name, version, main: 'index.js' }),
    [`${name}/index.js`]: main,
  };
}

/** Runs the code dir's handler in a fresh node, as the runtime would load it. */
async function callHandler(codeDir: string, handler: string): Promise<unknown> {
  const dot = handler.lastIndexOf('.');
  const file = path.join(codeDir, handler.slice(0, dot));
  const script = `
    const { existsSync } = require('node:fs');
    const { pathToFileURL } = require('node:url');
    const base = ${JSON.stringify(file)};
    const file = ['.js', '.mjs'].map((ext) => base + ext).find((f) => existsSync(f));
    import(pathToFileURL(file).href).then(async (m) => process.stdout.write(JSON.stringify(await m[${JSON.stringify(handler.slice(dot + 1))}]({}))));`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: codeDir });
  return JSON.parse(stdout);
}

describe('runBuild', { timeout: 120_000 }, () => {
  let root: string;
  let cacheDir: string;
  let blobs: FsBlobStore;
  let hostEnv: NodeJS.ProcessEnv;
  let python: string;
  let count = 0;

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'laambda-build-'));
    cacheDir = path.join(root, 'cache');
    blobs = new FsBlobStore(path.join(root, 'blobs'));
    hostEnv = {
      PATH: process.env.PATH,
      HOME: path.join(root, 'home'),
      npm_config_cache: path.join(root, 'npm-cache'),
      PIP_CACHE_DIR: path.join(root, 'pip-cache'),
    };
    python = resolvePython(undefined, process.env).path;
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function app(files: Files): Promise<string> {
    const dir = path.join(root, `app-${++count}`);
    await writeTree(dir, files);
    return dir;
  }

  /** Builds `dir` as `laambda deploy` uploads it: a tar.gz of the directory's contents. */
  async function build(dir: string, env: NodeJS.ProcessEnv = hostEnv): Promise<BuildOutput & { events: BuildEvent[] }> {
    const events: BuildEvent[] = [];
    const workDir = path.join(root, `work-${++count}`);
    await mkdir(workDir);
    const archive = create({ cwd: dir, gzip: true, portable: true }, ['.']);
    const output = await runBuild({
      archive,
      gzip: true,
      workDir,
      cacheDir,
      blobs,
      python: () => python,
      hostEnv: env,
      onEvent: (event) => events.push(event),
    });
    return { ...output, events };
  }

  const steps = (events: BuildEvent[]) => events.filter((e) => e.type === 'step').map((e) => e.message);
  const installerLines = (events: BuildEvent[]) => events.filter((e) => e.type === 'log' && e.step === 'dependencies');

  /** A PATH whose first npm (and pip) fails loudly: proof that a cache hit ran no installer. */
  async function envWithoutInstallers(): Promise<NodeJS.ProcessEnv> {
    const bin = path.join(root, 'failing-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'npm'), '#!/bin/sh\necho "npm must not run on a cache hit" >&2\nexit 97\n', { mode: 0o755 });
    return { ...hostEnv, PATH: `${bin}${path.delimiter}${hostEnv.PATH}` };
  }

  describe('a node app with local file: dependencies', () => {
    let dir: string;
    let first: Awaited<ReturnType<typeof build>>;

    before(async () => {
      dir = await app({
        Procfile: 'web: index.handler\n',
        'index.js': `exports.handler = async () => ({ a: require('dep-a'), b: require('dep-b') });\n`,
        'package.json': JSON.stringify({
          name: 'web',
          version: '1.0.0',
          private: true,
          dependencies: { 'dep-a': 'file:libs/dep-a', 'dep-b': 'file:vendor/dep-b-1.0.0.tgz' },
        }),
        ...Object.fromEntries(Object.entries(pkg('dep-a', '1.0.0')).map(([name, text]) => [`libs/${name}`, text])),
      });
      const packs = path.join(root, 'packs');
      await writeTree(packs, { ...pkg('dep-b', '1.0.0'), ...pkg('dep-b-next', '1.0.1') });
      await mkdir(path.join(dir, 'vendor'));
      await run('npm', ['pack', path.join(packs, 'dep-b'), '--pack-destination', path.join(dir, 'vendor')], { env: hostEnv });
      await run('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: dir, env: hostEnv });
      first = await build(dir);
    });

    it('installs them with npm ci into node_modules and the handler runs', async () => {
      assert.equal(first.dependencies, 'installed');
      const messages = steps(first.events);
      assert.match(messages[0]!, /^Receiving app \(\d+ files, [\d.]+ KB\)$/);
      assert.equal(messages[1], 'Functions: web (nodejs, index.handler)');
      assert.equal(messages[2], 'Installing dependencies: npm ci --omit=dev');
      assert.match(messages[3]!, /^Artifact: [\d.]+ KB, sha256:[0-9a-f]{8}…$/);
      assert.ok(installerLines(first.events).some((e) => /added 2 packages/.test(e.message)), 'npm output is streamed as log events');
      assert.deepEqual(await callHandler(first.codeDir, 'index.handler'), { a: 'dep-a@1.0.0', b: 'dep-b@1.0.0' });
      assert.equal(first.definition.dir, first.codeDir);
      assert.ok(await blobs.has(first.artifact.digest));
    });

    it('reuses the cached node_modules on a redeploy without running npm, and stores the same artifact', async () => {
      const second = await build(dir, await envWithoutInstallers());
      assert.equal(second.dependencies, 'cache-hit');
      assert.match(steps(second.events)[2]!, /^Dependencies: cache hit \(npm, [0-9a-f]{8}\)$/);
      assert.deepEqual(installerLines(second.events), []);
      assert.deepEqual(await callHandler(second.codeDir, 'index.handler'), { a: 'dep-a@1.0.0', b: 'dep-b@1.0.0' });
      assert.equal(second.artifact.digest, first.artifact.digest, 'the same tree gives the same artifact');
      // Hard links into the cache, not copies.
      const linked = await stat(path.join(second.codeDir, 'node_modules', 'dep-b', 'index.js'));
      assert.ok(linked.nlink >= 3, `nlink ${linked.nlink}`);
    });

    it('reinstalls when the lockfile changes', async () => {
      const changed = await app({});
      await run('cp', ['-R', `${dir}/.`, changed]);
      await rm(path.join(changed, 'vendor', 'dep-b-1.0.0.tgz'));
      // Same name and version, new content: the regenerated lockfile has a new integrity.
      await writeTree(path.join(root, 'packs'), pkg('dep-b', '1.0.0', `module.exports = 'dep-b rebuilt';\n`));
      await run('npm', ['pack', path.join(root, 'packs', 'dep-b'), '--pack-destination', path.join(changed, 'vendor')], { env: hostEnv });
      await rm(path.join(changed, 'package-lock.json'));
      await run('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: changed, env: hostEnv });
      assert.notEqual(await readFile(path.join(changed, 'package-lock.json'), 'utf8'), await readFile(path.join(dir, 'package-lock.json'), 'utf8'));
      const third = await build(changed);
      assert.equal(third.dependencies, 'installed');
      assert.deepEqual(await callHandler(third.codeDir, 'index.handler'), { a: 'dep-a@1.0.0', b: 'dep-b rebuilt' });
    });
  });

  it('installs nothing for a package.json without dependencies', async () => {
    const dir = await app({
      Procfile: 'web: index.handler\n',
      'index.js': `exports.handler = async () => 'plain';\n`,
      'package.json': JSON.stringify({ name: 'plain', version: '1.0.0', devDependencies: { typescript: '*' } }),
    });
    const output = await build(dir, await envWithoutInstallers());
    assert.equal(output.dependencies, 'none');
    assert.ok(steps(output.events).includes('Dependencies: none'));
  });

  it('fails with ERR_BUILD_DEPENDENCIES_FAILED and npm\'s own message for a broken dependency', async () => {
    const dir = await app({
      Procfile: 'web: index.handler\n',
      'index.js': `exports.handler = async () => 1;\n`,
      'package.json': JSON.stringify({ name: 'broken', version: '1.0.0', dependencies: { nope: 'file:./missing-1.0.0.tgz' } }),
    });
    const events: BuildEvent[] = [];
    const workDir = path.join(root, 'work-broken');
    await mkdir(workDir);
    await assert.rejects(
      runBuild({
        archive: create({ cwd: dir, portable: true }, ['.']),
        gzip: false,
        workDir,
        cacheDir,
        blobs,
        python: () => python,
        hostEnv,
        onEvent: (event) => events.push(event),
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_BUILD_DEPENDENCIES_FAILED');
        assert.match(error.message, /^npm install --omit=dev --no-package-lock exited with \d+:/);
        assert.match(error.message, /ENOENT: no such file or directory, open '\.\/missing-1\.0\.0\.tgz'/);
        return true;
      },
    );
    assert.ok(installerLines(events).length > 0);
  });

  describe('a python app with a local wheel', () => {
    let dir: string;
    before(async () => {
      dir = await app({
        Procfile: 'web: app.handler\n',
        'app.py': 'import greetpkg\ndef handler(event, context):\n    return greetpkg.VALUE\n',
        'requirements.txt': '# local only\n./wheels/greetpkg-1.0-py3-none-any.whl\n',
      });
      await writeGreetWheel(python, path.join(dir, 'wheels', 'greetpkg-1.0-py3-none-any.whl'));
    });

    it('installs into the code root, then hits the cache on a redeploy', async () => {
      const first = await build(dir);
      assert.equal(first.dependencies, 'installed');
      assert.ok(steps(first.events).includes('Installing dependencies: pip install -r requirements.txt'));
      assert.ok(installerLines(first.events).some((e) => /Successfully installed greetpkg-1\.0/.test(e.message)));
      const { stdout } = await run(python, ['-c', 'import app; print(app.handler({}, None))'], { cwd: first.codeDir });
      assert.equal(stdout.trim(), 'from a wheel');

      const second = await build(dir);
      assert.equal(second.dependencies, 'cache-hit');
      assert.match(steps(second.events).find((m) => m.startsWith('Dependencies'))!, /^Dependencies: cache hit \(pip, [0-9a-f]{8}\)$/);
      assert.deepEqual(installerLines(second.events), []);
      assert.equal(await readFile(path.join(second.codeDir, 'greetpkg', '__init__.py'), 'utf8'), "VALUE = 'from a wheel'\n");
    });
  });

  it('keeps the executable bit of a provided bootstrap through the zip and back', async () => {
    const dir = await app({
      Procfile: 'fn: function.handler\n',
      bootstrap: { content: '#!/bin/sh\necho ok\n', mode: 0o755 },
      'function.sh': 'handler () { echo "$1"; }\n',
    });
    const output = await build(dir);
    assert.equal(output.definition.functions[0]!.runtime, 'provided');
    assert.equal(output.dependencies, 'none');
    assert.equal((await stat(path.join(output.codeDir, 'bootstrap'))).mode & 0o777, 0o755);
    const unzipped = path.join(root, 'unzipped-provided');
    await unzipArtifact(await blobs.localPath(output.artifact.digest), unzipped);
    assert.equal((await stat(path.join(unzipped, 'bootstrap'))).mode & 0o777, 0o755);
    assert.equal((await stat(path.join(unzipped, 'function.sh'))).mode & 0o777, 0o644);
  });

  it('bundles TypeScript handlers into the artifact and points the functions at the bundles', async () => {
    const dir = await app({
      Procfile: 'api: src/api.handler\nshout: src/api.shout\nother: src/other.handler\n',
      'src/api.ts': `import { greet } from './greet.ts';\nexport const handler = async (): Promise<string> => greet('ts');\nexport const shout = async () => greet('TS');\n`,
      'src/greet.ts': `export function greet(name: string): string { return \`hello \${name}\`; }\n`,
      'src/other.ts': `export const handler = async () => 'other';\n`,
      'legacy.js': `exports.handler = async () => 'js';\n`,
    });
    const output = await build(dir);
    const [api, shout, other] = output.definition.functions;
    assert.match(api!.handler, /^\.laambda\/build\/[^/]+\/api\.handler$/);
    assert.equal(shout!.handler, api!.handler.replace(/handler$/, 'shout'), 'one bundle per module');
    assert.equal(api!.environment.NODE_OPTIONS, '--enable-source-maps');
    assert.ok(steps(output.events).includes(`Bundling TypeScript: api → ${api!.handler}`));
    assert.equal(await callHandler(output.codeDir, api!.handler), 'hello ts');
    assert.equal(await callHandler(output.codeDir, shout!.handler), 'hello TS');
    assert.equal(await callHandler(output.codeDir, other!.handler), 'other');
    const unzipped = path.join(root, 'unzipped-ts');
    await unzipArtifact(await blobs.localPath(output.artifact.digest), unzipped);
    assert.equal(await callHandler(unzipped, api!.handler), 'hello ts');

    const again = await build(dir);
    assert.equal(again.artifact.digest, output.artifact.digest, 'bundles do not depend on the build directory');
    assert.deepEqual(again.definition.functions.map((fn) => fn.handler), output.definition.functions.map((fn) => fn.handler));
  });

  it('refuses an upload without a Procfile before doing anything else', async () => {
    const dir = await app({ 'index.js': 'exports.handler = async () => 1;\n' });
    await assert.rejects(build(dir), { code: 'ERR_BUILD_SOURCE_INVALID', message: /no Procfile/ });
  });
});
