import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createTypeScriptBuilder, formatMessage, withSourceMaps } from './typescript.ts';

describe('withSourceMaps', () => {
  it('sets NODE_OPTIONS when the function has none', () => {
    assert.deepEqual(withSourceMaps(), { NODE_OPTIONS: '--enable-source-maps' });
    assert.deepEqual(withSourceMaps({ A: '1' }), { A: '1', NODE_OPTIONS: '--enable-source-maps' });
  });

  it("appends to the function's own NODE_OPTIONS and leaves the input alone", () => {
    const environment = { NODE_OPTIONS: ' --max-old-space-size=100 ' };
    assert.deepEqual(withSourceMaps(environment), { NODE_OPTIONS: '--max-old-space-size=100 --enable-source-maps' });
    assert.equal(environment.NODE_OPTIONS, ' --max-old-space-size=100 ');
  });

  it('adds nothing when NODE_OPTIONS already decides about source maps', () => {
    assert.deepEqual(withSourceMaps({ NODE_OPTIONS: '--enable-source-maps' }), { NODE_OPTIONS: '--enable-source-maps' });
    assert.deepEqual(withSourceMaps({ NODE_OPTIONS: '--no-enable-source-maps' }), { NODE_OPTIONS: '--no-enable-source-maps' });
  });
});

describe('formatMessage', () => {
  it('names file:line:column with a 1-based column', () => {
    const location = { file: 'src/a.ts', namespace: 'file', line: 3, column: 4, length: 1, lineText: '', suggestion: '' };
    const message = { id: '', pluginName: '', text: 'Unexpected "*"', location, notes: [], detail: undefined };
    assert.equal(formatMessage(message), 'src/a.ts:3:5: Unexpected "*"');
    assert.equal(formatMessage({ ...message, location: null }), 'Unexpected "*"');
  });
});

describe('createTypeScriptBuilder', () => {
  it('serves concurrent builds of one module from one bundle directory', async (t) => {
    const appDir = await mkdtemp(path.join(tmpdir(), 'laambda-ts-unit-'));
    t.after(() => rm(appDir, { recursive: true, force: true }));
    await writeFile(path.join(appDir, 'api.ts'), 'export const get = async () => 1;\nexport const put = async () => 2;\n');
    const builder = createTypeScriptBuilder({ appDir, outDir: path.join(appDir, 'out') });
    try {
      const [get, put] = await Promise.all([builder.build('api.get'), builder.build('api.put')]);
      assert.equal(get.handler.replace(/\.get$/, ''), put.handler.replace(/\.put$/, ''));
      const dirs = await readdir(path.join(appDir, 'out'));
      assert.equal(dirs.length, 1);
      assert.deepEqual((await readdir(path.join(appDir, 'out', dirs[0] ?? ''))).sort(), ['api.mjs', 'api.mjs.map']);
    } finally {
      await builder.dispose();
    }
    await assert.rejects(builder.build('api.get'), { code: 'ERR_PLATFORM_INTERNAL' });
  });
});
