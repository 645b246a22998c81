// Deploys through a real `laambda server` and the real CLI: the time from running
// `laambda deploy` to the new code answering through the gateway, for a first deploy and for
// redeploys of changed code with an unchanged lockfile (the dependency cache must hit: npm
// must not run). The bar: redeploy ≤ 1.5 s; a node app with 20 dependencies
// redeploys without running npm.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveConfig } from '../src/config/index.ts';
import { startServer } from '../src/main.ts';
import { type Summary, summarize } from './stats.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin', 'laambda.js');
const run = promisify(execFile);

export interface DeployBenchApp {
  app: string;
  dependencies: number;
  firstDeployMs: number;
  firstDependencies: string;
  redeploy: Summary;
  /** What each redeploy's build said about dependencies. */
  redeployDependencies: string[];
}

export interface DeployBenchResult {
  apps: DeployBenchApp[];
}

function get(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** How the last build of an app handled dependencies, from its output. */
function dependencyLine(output: string): string {
  if (/cache hit/i.test(output)) return 'cache hit';
  if (/Installing dependencies/i.test(output)) return 'installed';
  return 'none';
}

export async function runDeployBench(options: { redeploys: number; progress(step: string): void }): Promise<DeployBenchResult> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'laambda-deploy-bench-'));
  const { config } = resolveConfig({ env: { LAAMBDA_LOG_LEVEL: 'warn' }, flags: { dataDir: path.join(root, 'data') } });
  const server = await startServer({ config, host: '127.0.0.1', port: 0, gatewayPort: 0, awsPort: 0, hostEnv: process.env, onLog: () => {} });
  const token = server.adminToken ?? '';
  const env = { ...process.env, LAAMBDA_URL: server.controlUrl, LAAMBDA_TOKEN: token, LAAMBDA_CONFIG_DIR: path.join(root, 'config'), NO_COLOR: '1' };
  const api = async (method: string, apiPath: string, body?: unknown) => {
    const reply = await fetch(`${server.controlUrl}/api/v1${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return reply.json() as Promise<any>;
  };
  const gatewayPort = new URL(server.gatewayUrl).port;
  const apps: DeployBenchApp[] = [];
  try {
    const fixtures = [
      { app: 'hello', source: path.join(ROOT, 'examples', 'hello-node'), route: '/hello', marker: (n: number) => `// edition ${n}\n` },
      { app: 'deps20', source: path.join(ROOT, 'bench', 'fixtures', 'deps20-app'), route: '/api', marker: (n: number) => `// edition ${n}\n` },
    ];
    for (const fixture of fixtures) {
      const dir = path.join(root, fixture.app);
      cpSync(fixture.source, dir, { recursive: true });
      const handler = path.join(dir, 'index.js');
      const original = readFileSync(handler, 'utf8');
      // Each edition's code answers with its own number, so "serving" means the new code answered.
      const edition = (n: number) =>
        writeFileSync(handler, `${fixture.marker(n)}${original}\nconst __handler = exports.handler;\nexports.handler = async (...args) => ({ ...(await __handler(...args)), edition: ${n} });\n`);
      await api('POST', '/apps', { name: fixture.app });
      const deploy = async (n: number): Promise<{ ms: number; dependencies: string }> => {
        edition(n);
        const started = performance.now();
        await run(process.execPath, [BIN, 'deploy', dir, '-a', fixture.app], { env, maxBuffer: 16 * 1024 * 1024 });
        const body = await get(`${server.gatewayUrl}${fixture.route}`, `${fixture.app}.localhost:${gatewayPort}`);
        const ms = performance.now() - started;
        if (JSON.parse(body).edition !== n) throw new Error(`${fixture.app}: edition ${n} is not serving after the deploy: ${body}`);
        const builds = await api('GET', `/apps/${fixture.app}/builds`);
        const build = await api('GET', `/apps/${fixture.app}/builds/${builds[0].id}`);
        return { ms: Math.round(ms * 10) / 10, dependencies: dependencyLine(build.output) };
      };
      options.progress(`deploy: first deploy of ${fixture.app}`);
      const first = await deploy(0);
      const samples: number[] = [];
      const kinds: string[] = [];
      for (let n = 1; n <= options.redeploys; n += 1) {
        options.progress(`deploy: redeploy ${n}/${options.redeploys} of ${fixture.app}`);
        const again = await deploy(n);
        samples.push(again.ms);
        kinds.push(again.dependencies);
      }
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      apps.push({
        app: fixture.app,
        dependencies: Object.keys(manifest.dependencies ?? {}).length,
        firstDeployMs: first.ms,
        firstDependencies: first.dependencies,
        redeploy: summarize(samples),
        redeployDependencies: [...new Set(kinds)],
      });
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
  return { apps };
}
