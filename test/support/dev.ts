/**
 * Helpers for tests of `laambda dev`: an app in a temp dir served by a real dev server on
 * 127.0.0.1 port 0, its events and logs, and plain HTTP requests to it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { resolveConfig } from '../../src/config/index.ts';
import type { DevEvent } from '../../src/dev/session.ts';
import type { GatewayAccess } from '../../src/events/http/gateway.ts';
import { type DevServer, startDev } from '../../src/main.ts';
import type { LogRecord } from '../../src/runtime/index.ts';
import { type AppFiles, EngineHarness, isAlive } from './engine.ts';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Header pairs as sent. */
  rawHeaders: Array<[string, string]>;
  body: Buffer;
  text: string;
  json(): any;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Sets the Host header (function URLs are reached by host). */
  host?: string;
}

/** One HTTP request on a fresh connection; resolves with the whole reply. */
export function request(url: string, options: RequestOptions = {}): Promise<HttpReply> {
  const target = new URL(url);
  const headers: http.OutgoingHttpHeaders = { ...options.headers };
  if (options.host !== undefined) headers.host = options.host;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const rawHeaders: Array<[string, string]> = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) rawHeaders.push([res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '']);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders, body, text: body.toString('utf8'), json: () => JSON.parse(body.toString('utf8')) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface DevHandle {
  server: DevServer;
  dir: string;
  url: string;
  events: DevEvent[];
  logs: LogRecord[];
  accesses: GatewayAccess[];
  /** GET (or options.method) on a path of the gateway. */
  fetch(path: string, options?: RequestOptions): Promise<HttpReply>;
  /** Resolves with the first event (already seen or future) that satisfies the predicate. */
  nextEvent<T extends DevEvent>(predicate: (event: DevEvent) => event is T, after?: number): Promise<T>;
}

export interface StartOptions {
  watch?: boolean;
  env?: Record<string, string>;
}

/** Starts dev servers over fixture apps; cleanup() closes them and checks for leaked processes. */
export class DevHarness {
  readonly #files = new EngineHarness();
  readonly #servers: DevServer[] = [];
  readonly #pids = new Set<number>();
  readonly #timers: NodeJS.Timeout[] = [];

  app(files: AppFiles): Promise<string> {
    return this.#files.app(files);
  }

  async start(files: AppFiles | string, options: StartOptions = {}): Promise<DevHandle> {
    const dir = typeof files === 'string' ? files : await this.#files.app(files);
    const events: DevEvent[] = [];
    const logs: LogRecord[] = [];
    const accesses: GatewayAccess[] = [];
    const waiters: Array<() => void> = [];
    const notify = () => {
      for (const waiter of waiters.splice(0)) waiter();
    };
    const { config } = resolveConfig({ env: { LAAMBDA_LOG_LEVEL: 'silent', ...options.env } });
    const server = await startDev({
      config,
      dir,
      host: '127.0.0.1',
      port: 0,
      awsPort: 0,
      watch: options.watch ?? false,
      hostEnv: process.env,
      onLog: (record) => logs.push(record),
      onAccess: (access) => accesses.push(access),
      onEvent: (event) => {
        events.push(event);
        notify();
      },
    });
    this.#servers.push(server);
    const timer = setInterval(() => {
      for (const pid of server.pids()) this.#pids.add(pid);
    }, 5);
    timer.unref();
    this.#timers.push(timer);
    const nextEvent = async <T extends DevEvent>(predicate: (event: DevEvent) => event is T, after = 0): Promise<T> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const found = events.slice(after).find(predicate);
        if (found !== undefined) return found;
        if (Date.now() > deadline) assert.fail(`no matching dev event; saw ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 1000).unref();
        });
      }
    };
    return { server, dir, url: server.url, events, logs, accesses, fetch: (path, opts) => request(`${server.url}${path}`, opts), nextEvent };
  }

  async cleanup(): Promise<void> {
    try {
      for (const server of this.#servers) for (const pid of server.pids()) this.#pids.add(pid);
      await Promise.all(this.#servers.map((server) => server.close()));
      for (const timer of this.#timers) clearInterval(timer);
      const survivors = [...this.#pids].filter(isAlive);
      assert.deepEqual(survivors, [], `environment processes outlived the dev server: ${survivors.join(', ')}`);
    } finally {
      await this.#files.cleanup();
    }
  }
}
