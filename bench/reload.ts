// Hot reload: the time from saving a handler to the first HTTP response from the new code,
// through a real `laambda dev` (watcher → warm the new code → switch). The bar: 300 ms.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../src/config/index.ts';
import { startDev } from '../src/main.ts';
import { summarize } from './stats.ts';

export interface ReloadBenchResult {
  saves: number;
  kinds: Record<string, ReturnType<typeof summarize>>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

const SOURCES = {
  js: { file: 'index.js', handler: 'index.handler', code: (n: number) => `exports.handler = async () => ({ statusCode: 200, body: 'v${n}' });\n` },
  ts: {
    file: 'api.ts',
    handler: 'api.handler',
    code: (n: number) => `export const handler = async (): Promise<{ statusCode: number; body: string }> => ({ statusCode: 200, body: 'v${n}' });\n`,
  },
  python: { file: 'app.py', handler: 'app.handler', code: (n: number) => `def handler(event, context):\n    return {"statusCode": 200, "body": "v${n}"}\n` },
} as const;

/** Saves each kind of handler `saves` times and times save → first new response. */
export async function runReloadBench(saves: number): Promise<ReloadBenchResult> {
  const kinds: ReloadBenchResult['kinds'] = {};
  for (const [kind, source] of Object.entries(SOURCES)) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `laambda-reload-${kind}-`));
    writeFileSync(path.join(dir, 'Procfile'), `web: ${source.handler}\n`);
    writeFileSync(path.join(dir, source.file), source.code(0));
    const { config } = resolveConfig({ env: { LAAMBDA_LOG_LEVEL: 'silent' } });
    const server = await startDev({
      config,
      dir,
      host: '127.0.0.1',
      port: 0,
      awsPort: 0,
      hostEnv: process.env,
      onLog: () => {},
      onAccess: () => {},
      onEvent: () => {},
    });
    const samples: number[] = [];
    try {
      await get(`${server.url}/web`);
      for (let n = 1; n <= saves; n++) {
        const saved = performance.now();
        writeFileSync(path.join(dir, source.file), source.code(n));
        while ((await get(`${server.url}/web`)) !== `v${n}`) {
          if (performance.now() - saved > 10_000) throw new Error(`${kind}: save ${n} never went live`);
        }
        samples.push(performance.now() - saved);
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    kinds[kind] = summarize(samples);
  }
  return { saves, kinds };
}
