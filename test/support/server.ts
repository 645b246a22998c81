/**
 * Helpers for tests of `laambda server`: a real server in this process on 127.0.0.1 port 0 with
 * a temp data dir, plain HTTP calls to its API, deploys of a directory, requests to an app.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packDirectory } from '../../src/build/pack.ts';
import { resolveConfig } from '../../src/config/index.ts';
import type { DeployEvent } from '../../src/core/services.ts';
import { type PlatformServer, startServer } from '../../src/main.ts';
import { type HttpReply, request } from './dev.ts';
import { isAlive } from './engine.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface ServerHarnessOptions {
  dataDir?: string;
  adminToken?: string;
  env?: Record<string, string>;
  /** Shortens Lambda's 60 s / 120 s async retry back-off. */
  asyncRetryDelayMs?(retry: number): number;
}

export interface ApiReply {
  status: number;
  body: any;
}

export class ServerHarness {
  readonly server: PlatformServer;
  readonly dataDir: string;
  readonly adminToken: string;
  readonly #ownsDir: boolean;

  private constructor(server: PlatformServer, dataDir: string, adminToken: string, ownsDir: boolean) {
    this.server = server;
    this.dataDir = dataDir;
    this.adminToken = adminToken;
    this.#ownsDir = ownsDir;
  }

  static async start(options: ServerHarnessOptions = {}): Promise<ServerHarness> {
    const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'laambda-server-'));
    const env = { LAAMBDA_LOG_LEVEL: 'warn', ...options.env, ...(options.adminToken === undefined ? {} : { LAAMBDA_ADMIN_TOKEN: options.adminToken }) };
    const { config } = resolveConfig({ env, flags: { dataDir } });
    const server = await startServer({ config, host: '127.0.0.1', port: 0, gatewayPort: 0, awsPort: 0, hostEnv: process.env, onLog: () => {}, ...(options.asyncRetryDelayMs === undefined ? {} : { asyncRetryDelayMs: options.asyncRetryDelayMs }) });
    // A restart on an existing data dir prints no token: callers keep the first one.
    const adminToken = server.adminToken ?? options.adminToken ?? '';
    return new ServerHarness(server, dataDir, adminToken, options.dataDir === undefined);
  }

  /** A JSON API call with the admin token unless another is given. */
  async api(method: string, apiPath: string, body?: unknown, token: string | null = this.adminToken): Promise<ApiReply> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const reply = await fetch(`${this.server.controlUrl}/api/v1${apiPath}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await reply.text();
    return { status: reply.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  /** Deploys a directory as `laambda deploy` does; resolves with every event of the stream. */
  async deploy(app: string, dir: string, token: string = this.adminToken): Promise<DeployEvent[]> {
    const packed = await packDirectory(dir);
    const reply = await fetch(`${this.server.controlUrl}/api/v1/apps/${app}/deploys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/gzip' },
      body: packed.stream as unknown as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const text = await reply.text();
    assert.equal(reply.status, 200, text);
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as DeployEvent);
  }

  /** Deploys and insists it worked; resolves with the new release version. */
  async deployOk(app: string, dir: string): Promise<number> {
    const events = await this.deploy(app, dir);
    const result = events.at(-1);
    assert.ok(result?.type === 'result' && result.ok, `deploy failed: ${JSON.stringify(result)}`);
    return result.release.version;
  }

  /** A request to an app through the gateway, by Host. */
  get(app: string, requestPath: string): Promise<HttpReply> {
    const port = new URL(this.server.gatewayUrl).port;
    return request(`${this.server.gatewayUrl}${requestPath}`, { host: `${app}.localhost:${port}` });
  }

  async close(): Promise<void> {
    const pids = this.server.pids();
    await this.server.close();
    for (const pid of pids) assert.equal(isAlive(pid), false, `environment ${pid} outlived the server`);
  }

  async dispose(): Promise<void> {
    await this.close();
    if (this.#ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A copy of an example (or any directory) in a temp dir, to change and deploy. */
export function copyApp(source: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'laambda-app-'));
  cpSync(source, dir, { recursive: true });
  return dir;
}
