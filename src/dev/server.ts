import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LaambdaError } from '../core/errors.ts';

// node:http through require(): an ES import evaluates undici's lazy exports (~45 ms at startup).
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export interface Listener {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0 = a free port) and reports the port it got. */
export function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<Listener> {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, handler);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use` : error.message;
      reject(new LaambdaError('ERR_DEV_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${reason}`, { cause: error }));
    });
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        server,
        port: bound,
        url: `http://${shownHost}:${bound}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

/** What a running `dev` advertises in `DATA_DIR/dev.json`, so `laambda invoke` can reuse it. */
export interface DevAdvert {
  pid: number;
  app: string;
  dir: string;
  url: string;
  awsUrl: string;
}

export function devAdvertFile(dataDir: string): string {
  return path.join(dataDir, 'dev.json');
}

export function writeDevAdvert(dataDir: string, advert: DevAdvert): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(devAdvertFile(dataDir), `${JSON.stringify(advert, null, 2)}\n`);
}

export function removeDevAdvert(dataDir: string, pid: number): void {
  const advert = readDevAdvert(dataDir);
  if (advert?.pid === pid) rmSync(devAdvertFile(dataDir), { force: true });
}

/** The advert of a `dev` that is still running, or undefined. */
export function readDevAdvert(dataDir: string): DevAdvert | undefined {
  let advert: DevAdvert;
  try {
    advert = JSON.parse(readFileSync(devAdvertFile(dataDir), 'utf8')) as DevAdvert;
  } catch {
    return undefined;
  }
  try {
    process.kill(advert.pid, 0);
    return advert;
  } catch {
    return undefined;
  }
}
