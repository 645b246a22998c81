// `node bench/typescript-build.ts` — how long the TypeScript builder takes for a small handler
// (an entry, a local module, an npm dependency): the first build, a rebuild after an edit (what
// a save in `laambda dev` costs), a rebuild with nothing changed, and an edit followed by a cold
// invoke of the rebuilt handler through the real engine (the hot-reload path end to end).
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTypeScriptBuilder } from '../src/build/typescript.ts';
import { createEngine } from '../src/runtime/index.ts';

const SAMPLES = 30;

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

function handlerSource(version: number): string {
  return `import { shout } from 'tiny-shout';\nimport { greet, type Person } from './lib/greet.ts';\n` +
    `export const handler = async (event: Person): Promise<string> => shout(greet(event)) + ' v${version}';\n`;
}

function summary(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
  return `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms (n=${samples.length})`;
}

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'laambda-bench-ts-')));
const appDir = path.join(root, 'app');
write(appDir, {
  'node_modules/tiny-shout/package.json': '{"name":"tiny-shout","main":"index.js"}',
  'node_modules/tiny-shout/index.js': 'exports.shout = (text) => text.toUpperCase();',
  'lib/greet.ts': `export interface Person { name: string }\nexport const greet = (p: Person): string => 'hello ' + p.name;\n`,
  'handler.ts': handlerSource(0),
});
const builder = createTypeScriptBuilder({ appDir, outDir: path.join(appDir, '.laambda', 'build') });
const engine = await createEngine({ dataDir: path.join(root, 'data'), onLog: () => {} });
try {
  let start = performance.now();
  await builder.build('handler.handler');
  console.log(`first build: ${(performance.now() - start).toFixed(1)} ms`);

  const edited: number[] = [];
  const unchanged: number[] = [];
  const reload: number[] = [];
  for (let i = 1; i <= SAMPLES; i++) {
    writeFileSync(path.join(appDir, 'handler.ts'), handlerSource(i));
    start = performance.now();
    const built = await builder.build('handler.handler');
    edited.push(performance.now() - start);

    start = performance.now();
    await builder.build('handler.handler');
    unchanged.push(performance.now() - start);

    writeFileSync(path.join(appDir, 'handler.ts'), handlerSource(-i));
    start = performance.now();
    const reloaded = await builder.build('handler.handler');
    const spec = { name: 'bench-ts', codeDir: appDir, handler: reloaded.handler, runtime: 'nodejs' as const, environment: built.environment };
    await engine.retire('bench-ts');
    const res = await engine.invoke(spec, { payload: '{"name":"ada"}' });
    reload.push(performance.now() - start);
    if (res.payload.toString() !== JSON.stringify(`HELLO ADA v${-i}`)) throw new Error(`stale code ran: ${res.payload.toString()}`);
  }
  console.log(`rebuild after an edit: ${summary(edited)}`);
  console.log(`rebuild, nothing changed: ${summary(unchanged)}`);
  console.log(`edit → rebuild → cold invoke of the new code: ${summary(reload)}`);
} finally {
  await builder.dispose();
  await engine.close();
  rmSync(root, { recursive: true, force: true });
}
