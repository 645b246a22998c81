// What dev and server share when they are put together: the engine settings from the config,
// and the answer of a listener bound before the rest is ready.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from './config/index.ts';
import type { EngineOptions } from './runtime/index.ts';

/** The engine settings every command takes from the config; callers add what is theirs. */
export function engineSettings(config: Config, dataDir: string, hostEnv: NodeJS.ProcessEnv): EngineOptions {
  return {
    dataDir,
    region: config.region,
    ...(config.python === undefined ? {} : { python: config.python }),
    memoryEnforcement: config.memoryEnforcement,
    idleTimeoutMs: config.idleTimeout * 1000,
    defaultConcurrency: config.concurrency,
    hostEnv,
  };
}

/** Answers while the server is still starting (listeners are bound before the rest is ready). */
export function starting(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end(JSON.stringify({ message: 'laambda is starting; try again in a moment' }));
}
