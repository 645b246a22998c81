// Runs in a fresh Node process the bench spawns: creates an engine and nothing else, then
// reports its resident set, so the harness's own heap and environments do not count.
// Plain JavaScript so that `--bare` is the true floor: a .ts entry would load Node's type
// stripper (~18 MB) before anything else. argv: DATA_DIR [--bare]
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [dataDir = '', mode] = process.argv.slice(2);

let close = async () => {};
if (mode !== '--bare') {
  const { createEngine } = await import('../src/runtime/index.ts');
  const engine = await createEngine({ dataDir });
  close = () => engine.close();
}
// Let startup garbage settle, as an idle server's would, before measuring.
await sleep(300);
const match = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'));
await close();
process.stdout.write(`${JSON.stringify({ rssKB: match ? Number(match[1]) : null })}\n`);
