// TypeScript handlers end to end: bundled by the TypeScript builder, run by the real engine in
// real child processes, with stack traces that name the .ts source.
import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { createTypeScriptBuilder, type BuiltHandler, type TypeScriptBuilder } from '../../src/build/typescript.ts';
import { isLaambdaError } from '../../src/core/errors.ts';
import type { FunctionSpec } from '../../src/runtime/index.ts';
import { EngineHarness, json, nodeFunction, ok, type AppFiles, type TrackedEngine } from '../support/engine.ts';

const harness = new EngineHarness();
const builders: TypeScriptBuilder[] = [];
let tracked: TrackedEngine;

before(async () => {
  tracked = await harness.engine();
});

after(async () => {
  await Promise.all(builders.map((builder) => builder.dispose()));
  await harness.cleanup();
});

/** A fixture app and a builder for it; the bundles go to APP/.laambda/build unless `outDir` says otherwise. */
async function tsApp(files: AppFiles, outDir?: string): Promise<{ appDir: string; builder: TypeScriptBuilder }> {
  // The real path: the stack traces and inputs the builder reports are resolved ones.
  const appDir = realpathSync(await harness.app(files));
  const builder = createTypeScriptBuilder({ appDir, outDir: outDir ?? path.join(appDir, '.laambda', 'build') });
  builders.push(builder);
  return { appDir, builder };
}

/** The engine's spec for a built handler. */
function specOf(name: string, built: BuiltHandler): FunctionSpec {
  return nodeFunction(name, built.codeDir, { handler: built.handler, environment: built.environment });
}

/** A CommonJS package in the app's node_modules, written by hand. */
const TINY_PACKAGE: AppFiles = {
  'node_modules/tiny-shout/package.json': '{"name":"tiny-shout","version":"1.0.0","main":"index.js"}',
  'node_modules/tiny-shout/index.js': `exports.shout = (text) => text.toUpperCase() + '!';`,
};

const TYPED_HANDLER = `import { shout } from 'tiny-shout';
import { readFileSync } from 'node:fs';
import { greeting, type Person } from './lib/greet.ts';

interface GreetEvent { person: Person }

// Top-level await needs ES module output.
const prefix: string = await Promise.resolve('ts');

export const handler = async (event: GreetEvent): Promise<Record<string, unknown>> => ({
  prefix,
  text: shout(greeting(event.person)),
  fromTaskRoot: readFileSync('motd.txt', 'utf8').trim(),
  besideSource: JSON.parse(readFileSync(new URL('./data.json', import.meta.url), 'utf8')).beside,
  taskRoot: process.env.LAMBDA_TASK_ROOT,
  cwd: process.cwd(),
});
`;

describe('TypeScript handlers', { concurrency: true }, () => {
  it('runs a typed handler importing a local .ts module and an npm package from node_modules', async () => {
    const { appDir, builder } = await tsApp({
      ...TINY_PACKAGE,
      'src/handler.ts': TYPED_HANDLER,
      'src/data.json': '{"beside":"the source file"}',
      'src/lib/greet.ts': `export interface Person { name: string }\nexport function greeting(person: Person): string { return 'hello ' + person.name; }\n`,
      'motd.txt': 'read from the task root\n',
    });
    assert.equal(builder.isTypeScript('src/handler.handler'), true);
    const built = await builder.build('src/handler.handler');
    assert.equal(built.codeDir, appDir);
    assert.match(built.handler, /^\.laambda\/build\/src-handler\.ts-[0-9a-f]{8}\/handler\.handler$/);
    assert.equal(built.environment.NODE_OPTIONS, '--enable-source-maps');
    assert.deepEqual(
      [...built.inputs].sort(),
      [path.join(appDir, 'src/handler.ts'), path.join(appDir, 'src/lib/greet.ts')],
    );

    const res = await tracked.engine.invoke(specOf('ts-typed', built), {
      payload: JSON.stringify({ person: { name: 'ada' } }),
    });
    ok(res);
    assert.deepEqual(json(res), {
      prefix: 'ts',
      text: 'HELLO ADA!',
      fromTaskRoot: 'read from the task root',
      besideSource: 'the source file',
      taskRoot: appDir,
      cwd: appDir,
    });
  });

  it('points stack traces at the .ts file and line that threw', async () => {
    const { appDir, builder } = await tsApp({
      'handler.ts': [
        'interface Order { id: string; total: number }',
        '',
        'function check(order: Order): void {',
        '  if (order.total < 0) {',
        '    throw new RangeError(`order ${order.id} has a negative total`);',
        '  }',
        '}',
        '',
        'export async function handler(order: Order): Promise<string> {',
        '  check(order);',
        '  return order.id;',
        '}',
        '',
      ].join('\n'),
    });
    const built = await builder.build('handler.handler', { environment: { NODE_OPTIONS: '--max-http-header-size=16384' } });
    assert.equal(built.environment.NODE_OPTIONS, '--max-http-header-size=16384 --enable-source-maps');
    const res = await tracked.engine.invoke(specOf('ts-throws', built), {
      payload: '{"id":"o-1","total":-5}',
    });
    assert.equal(res.error?.errorType, 'RangeError');
    assert.equal(res.error?.errorMessage, 'order o-1 has a negative total');
    const trace = res.error?.stackTrace ?? [];
    const source = path.join(appDir, 'handler.ts');
    assert.ok(trace[1]?.includes(`${source}:5:11`), `the throw is at handler.ts:5:11:\n${trace.join('\n')}`);
    assert.ok(trace.some((line) => line.includes(`${source}:10:3`)), `the caller is at handler.ts:10:3:\n${trace.join('\n')}`);
  });

  it('reports a syntax error as ERR_BUILD_TYPESCRIPT with file:line, keeps the last good bundle, and runs the fix', async () => {
    const good = `export const handler = async (): Promise<string> => 'version 1';\n`;
    const { appDir, builder } = await tsApp({ 'api/orders.ts': good });
    const first = await builder.build('api/orders.handler');
    const bundle = path.join(appDir, first.handler.replace(/\.handler$/, '.mjs'));
    const goodBundle = readFileSync(bundle, 'utf8');

    await writeFile(path.join(appDir, 'api/orders.ts'), `const a: number = 1;\n\nexport const handler = async (): Promise<string> => 'version ' + * a;\n`);
    await assert.rejects(builder.build('api/orders.handler'), (error: unknown) => {
      assert.ok(isLaambdaError(error));
      assert.equal(error.code, 'ERR_BUILD_TYPESCRIPT');
      assert.match(error.message, /^cannot build api\/orders\.ts: api\/orders\.ts:3:66: Unexpected "\*"$/);
      assert.deepEqual((error.details?.errors as Array<{ file: string; line: number }>)[0]?.line, 3);
      return true;
    });
    assert.equal(readFileSync(bundle, 'utf8'), goodBundle, 'a failed build leaves the last good bundle alone');
    const stillGood = await tracked.engine.invoke(specOf('ts-reload-v1', first), { payload: '{}' });
    ok(stillGood);
    assert.equal(json(stillGood), 'version 1');

    await writeFile(path.join(appDir, 'api/orders.ts'), `export const handler = async (): Promise<string> => 'version 2';\n`);
    const fixed = await builder.build('api/orders.handler');
    assert.equal(fixed.handler, first.handler);
    assert.equal(fixed.changed, true);
    // A new function name: a warm environment of the old one would still hold version 1 in memory.
    const res = await tracked.engine.invoke(specOf('ts-reload-v2', fixed), { payload: '{}' });
    ok(res);
    assert.equal(json(res), 'version 2');
    assert.equal((await builder.build('api/orders.handler')).changed, false, 'an unchanged source rewrites nothing');
  });

  it('resolves node_modules when the build directory is outside the app', async () => {
    const outDir = realpathSync(await harness.dir('laambda-build-'));
    const { appDir, builder } = await tsApp(
      {
        ...TINY_PACKAGE,
        'index.ts': `import { shout } from 'tiny-shout';\nexport const handler = async (): Promise<string> => shout('outside');\n`,
      },
      outDir,
    );
    const built = await builder.build('index.handler');
    assert.ok(built.handler.startsWith('../'), built.handler);
    const res = await tracked.engine.invoke(specOf('ts-outside', built), { payload: '{}' });
    ok(res);
    assert.equal(json(res), 'OUTSIDE!');
    assert.equal(built.codeDir, appDir);
  });

  it("honours the app's tsconfig.json paths and baseUrl", async () => {
    const { appDir, builder } = await tsApp({
      'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@shared/*': ['shared/*'] } } }),
      'shared/answer.ts': `export const answer: number = 42;\n`,
      'shared/name.ts': `export const name: string = 'base-url';\n`,
      'fns/index.ts': `import { answer } from '@shared/answer';\nimport { name } from 'shared/name';\nexport const handler = async () => ({ answer, name });\n`,
    });
    const built = await builder.build('fns/index.handler');
    assert.ok(built.inputs.includes(path.join(appDir, 'tsconfig.json')), 'the watcher learns of tsconfig.json');
    const res = await tracked.engine.invoke(specOf('ts-paths', built), { payload: '{}' });
    ok(res);
    assert.deepEqual(json(res), { answer: 42, name: 'base-url' });
  });

  it('runs export default, nested exports and CommonJS-style .cts handlers', async () => {
    const { builder, appDir } = await tsApp({
      'a/index.mts': `export default { handler: async () => 'default export' };\n`,
      'b/index.ts': `export const api = { get: async () => 'nested export' };\n`,
      'c/index.cts': `const value: string = 'commonjs';\nmodule.exports.handler = async () => value + ':' + typeof require;\n`,
    });
    const cases = [
      ['a/index.handler', 'default export'],
      ['b/index.api.get', 'nested export'],
      ['c/index.handler', 'commonjs:function'],
    ] as const;
    const built = await Promise.all(cases.map(([handler]) => builder.build(handler)));
    assert.equal(new Set(built.map((b) => b.handler.split('/').slice(0, -1).join('/'))).size, 3, 'one bundle directory per module');
    await Promise.all(
      cases.map(async ([, expected], i) => {
        const res = await tracked.engine.invoke(specOf(`ts-shape-${i}`, built[i]!), { payload: '{}' });
        ok(res);
        assert.equal(json(res), expected);
      }),
    );
  });

  it('tells TypeScript handlers from JavaScript ones as the runtime resolves them', async () => {
    const { builder } = await tsApp({
      'ts.ts': 'export const handler = async () => 1;\n',
      'both.ts': 'export const handler = async () => 1;\n',
      'both.js': 'exports.handler = async () => 1;\n',
      'plain.js': 'exports.handler = async () => 1;\n',
    });
    assert.equal(builder.isTypeScript('ts.handler'), true);
    assert.equal(builder.isTypeScript('both.handler'), false, 'the runtime loads both.js first');
    assert.equal(builder.isTypeScript('plain.handler'), false);
    assert.equal(builder.isTypeScript('missing.handler'), false);
    assert.equal(builder.isTypeScript('nodot'), false);
    await assert.rejects(builder.build('plain.handler'), { code: 'ERR_BUILD_TYPESCRIPT' });
  });
});
