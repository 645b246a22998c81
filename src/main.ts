// The composition root: the only place that picks adapters and wires them together.
import path from 'node:path';
import { createInvokeApi } from './aws/lambda/invoke.ts';
import type { Config } from './config/index.ts';
import { systemClock } from './core/ports.ts';
import { DevSession, type DevEvent } from './dev/session.ts';
import { listen, removeDevAdvert, writeDevAdvert } from './dev/server.ts';
import { describeRoutes } from './dev/state.ts';
import { watchApp } from './dev/watch.ts';
import { createGateway, type GatewayAccess } from './events/http/gateway.ts';
import { createLogger } from './observe/logger.ts';
import { createEngine, type Engine, type LogSink, resolvePython } from './runtime/index.ts';

export interface LocalEngineOptions {
  config: Config;
  /** Relative data dirs resolve against this directory (the app's, for local commands). */
  baseDir: string;
  onLog?: LogSink;
  hostEnv: NodeJS.ProcessEnv;
}

/** The runtime engine as local commands (`invoke`, `dev`) use it. */
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

export interface DevOptions {
  config: Config;
  dir: string;
  host: string;
  /** Gateway port; 0 picks a free one. */
  port: number;
  /** Port of the AWS endpoint (Lambda Invoke API); 0 picks a free one. */
  awsPort: number;
  /** Watch the app and reload on changes (on by default). */
  watch?: boolean;
  hostEnv: NodeJS.ProcessEnv;
  onLog: LogSink;
  onAccess(access: GatewayAccess): void;
  onEvent(event: DevEvent): void;
}

export interface DevServer {
  url: string;
  awsUrl: string;
  session: DevSession;
  routes(): ReturnType<typeof describeRoutes>;
  /** Process ids of the live function environments. */
  pids(): number[];
  close(): Promise<void>;
}

/** `laambda dev`: the app's gateway and Invoke API over warm environments, reloading on save. */
export async function startDev(options: DevOptions): Promise<DevServer> {
  const { config } = options;
  const dir = path.resolve(options.dir);
  const dataDir = path.resolve(dir, config.dataDir);
  const logger = createLogger({ level: config.logLevel });
  const engine = await createLocalEngine({ config, baseDir: dir, onLog: options.onLog, hostEnv: options.hostEnv });
  const session = new DevSession({
    dir,
    dataDir,
    engine,
    clock: systemClock,
    hostEnv: options.hostEnv,
    python: () => resolvePython(config.python, options.hostEnv).path,
    onEvent: options.onEvent,
  });
  const closers: Array<() => Promise<void>> = [() => engine.close(), () => session.close()];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    await session.start();
    let baseUrl = '';
    const gateway = createGateway({
      routes: () => session.state.routes,
      invoke: (name, payload) => session.invoke(name, { payload }),
      apiId: session.state.app.name,
      clock: systemClock,
      logger,
      onAccess: options.onAccess,
      internal: (requestPath) => {
        if (requestPath === '/__laambda/health') return { statusCode: 200, body: { status: 'ok', app: session.state.app.name } };
        if (requestPath === '/__laambda/routes') return { statusCode: 200, body: describeRoutes(session.state, baseUrl) };
        return undefined;
      },
    });
    const gatewayListener = await listen(gateway, options.host, options.port);
    closers.push(() => gatewayListener.close());
    baseUrl = gatewayListener.url;
    const invokeApi = createInvokeApi({
      resolve: (name) => {
        const fns = [...session.state.functions.values()];
        return fns.find((fn) => fn.definition.name === name || fn.spec.name === name)?.definition.name;
      },
      invoke: (name, request) => session.invoke(name, request),
      region: config.region,
      accountId: '000000000000',
      logger,
    });
    const awsListener = await listen(
      (req, res) => {
        invokeApi(req, res).then(
          (handled) => {
            if (handled) return;
            res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' });
            res.end(JSON.stringify({ message: `laambda dev does not serve ${req.method} ${req.url}` }));
          },
          (error: unknown) => {
            logger.error({ err: error }, 'aws endpoint request failed');
            res.destroy();
          },
        );
      },
      options.host,
      options.awsPort,
    );
    closers.push(() => awsListener.close());
    if (options.watch !== false) {
      const watcher = await watchApp({
        appDir: dir,
        ignoreDirs: [dataDir],
        onChange: (changes) => void session.reload(changes.files),
        onError: (error) => logger.warn({ err: error }, 'file watcher error'),
      });
      closers.push(() => watcher.close());
    }
    writeDevAdvert(dataDir, { pid: process.pid, app: session.state.app.name, dir, url: gatewayListener.url, awsUrl: awsListener.url });
    closers.push(async () => removeDevAdvert(dataDir, process.pid));
    return { url: gatewayListener.url, awsUrl: awsListener.url, session, routes: () => describeRoutes(session.state, baseUrl), pids: () => engine.pids(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
