// A `laambda server` in this process for the event-source benches (elb, queue): temp data dir,
// ports 0, apps made and deployed through the control API as `laambda deploy` does, an access
// key per app for the AWS SDK clients, and the functions' log lines handed to listeners.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { packDirectory } from '../../src/build/pack.ts';
import { resolveConfig } from '../../src/config/index.ts';
import { type PlatformServer, startServer } from '../../src/main.ts';
import type { LogRecord } from '../../src/runtime/host/log-capture.ts';

export interface AppKey {
  accessKeyId: string;
  secretAccessKey: string;
  endpoint: string;
  region: string;
}

export interface DeployOutcome {
  ms: number;
  /** The build's dependency step as it reported it, e.g. "Dependencies: installed (npm ci --omit=dev)". */
  dependencies: string;
}

export interface BenchPlatform {
  server: PlatformServer;
  /** A control API call with the admin token; throws on an error status, with the answer. */
  api(method: string, apiPath: string, body?: unknown): Promise<any>;
  /** Creates the app and an access key for it; `config` becomes the app's environment. */
  createApp(name: string, config: Record<string, string>): Promise<AppKey>;
  deploy(app: string, dir: string): Promise<DeployOutcome>;
  /** Every function output line from now on; returns the unsubscribe. */
  onLog(listener: (record: LogRecord) => void): () => void;
  close(): Promise<void>;
}

export async function startBenchPlatform(root: string): Promise<BenchPlatform> {
  const dataDir = path.join(root, 'data');
  mkdirSync(dataDir, { recursive: true });
  const listeners = new Set<(record: LogRecord) => void>();
  const { config } = resolveConfig({ env: { LAAMBDA_LOG_LEVEL: 'warn' }, flags: { dataDir } });
  const server = await startServer({
    config,
    host: '127.0.0.1',
    port: 0,
    gatewayPort: 0,
    awsPort: 0,
    hostEnv: process.env,
    onLog: (record) => {
      for (const listener of listeners) listener(record);
    },
  });
  const token = server.adminToken ?? '';
  const api = async (method: string, apiPath: string, body?: unknown) => {
    const reply = await fetch(`${server.controlUrl}/api/v1${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await reply.text();
    if (reply.status >= 400) throw new Error(`${method} ${apiPath} answered ${reply.status}: ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  return {
    server,
    api,
    async createApp(name, appConfig) {
      await api('POST', '/apps', { name });
      if (Object.keys(appConfig).length > 0) await api('PATCH', `/apps/${name}/config`, appConfig);
      const key = await api('POST', `/apps/${name}/keys`);
      return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, endpoint: key.endpointUrl ?? server.awsUrl, region: key.region };
    },
    async deploy(app, dir) {
      const started = performance.now();
      const packed = await packDirectory(dir);
      const reply = await fetch(`${server.controlUrl}/api/v1/apps/${app}/deploys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
        body: packed.stream as unknown as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      const text = await reply.text();
      if (reply.status !== 200) throw new Error(`deploy of ${app} answered ${reply.status}: ${text}`);
      const events = text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as { type: string; ok?: boolean; step?: string; message?: string; error?: unknown });
      const result = events.at(-1);
      if (result?.type !== 'result' || result.ok !== true) throw new Error(`deploy of ${app} failed: ${JSON.stringify(result)}\n${text}`);
      const dependencies = events.find((event) => event.type === 'step' && event.step === 'dependencies')?.message ?? 'none';
      return { ms: Math.round(performance.now() - started), dependencies: dependencies.replace(/^-+>\s*/, '') };
    },
    onLog(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => server.close(),
  };
}

/** Runs one step of a bench, saying which failed: the S3 endpoint, notifications and deploys are separate parts. */
export async function benchStep<T>(bench: string, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const message = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
    if (status !== undefined) {
      throw new Error(`${bench}, ${name}: the AWS endpoint answered HTTP ${status} (${message})`, { cause: error });
    }
    throw new Error(`${bench}, ${name}: ${message}`, { cause: error });
  }
}
