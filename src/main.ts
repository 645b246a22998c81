// The composition root: the only place that picks adapters and wires them together.
import path from 'node:path';
import type { Config } from './config/index.ts';
import { createLogger } from './observe/logger.ts';
import { createEngine, type Engine, type LogSink } from './runtime/index.ts';

export interface LocalEngineOptions {
  config: Config;
  /** Relative data dirs resolve against this directory (the app's, for local commands). */
  baseDir: string;
  onLog?: LogSink;
  hostEnv: NodeJS.ProcessEnv;
}

/** The runtime engine as local commands (`invoke`, later `dev`) use it. */
export function createLocalEngine(options: LocalEngineOptions): Promise<Engine> {
  const { config } = options;
  return createEngine({
    dataDir: path.resolve(options.baseDir, config.dataDir),
    region: config.region,
    ...(config.python === undefined ? {} : { python: config.python }),
    memoryEnforcement: config.memoryEnforcement,
    idleTimeoutMs: config.idleTimeout * 1000,
    defaultConcurrency: config.concurrency,
    hostEnv: options.hostEnv,
    logger: createLogger({ level: config.logLevel }),
    ...(options.onLog === undefined ? {} : { onLog: options.onLog }),
  });
}
