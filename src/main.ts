// The composition root: the only place that picks adapters and wires them together. `laambda
// server` is put together in server.ts; the local commands (`invoke`, `dev`) here.
import path from 'node:path';
import { createInvokeApi } from './aws/lambda/index.ts';
import type { Config } from './config/index.ts';
import { systemClock } from './core/ports.ts';
import { LIMITS } from './core/function.ts';
import { createOpenAuthenticate } from './aws/auth.ts';
import { createAwsEndpoint } from './aws/endpoint.ts';
import { createEventPlane, type EventPlane, sourceApp } from './event-plane.ts';
import { createSqliteStorage } from './storage/index.ts';
import { DevSession, type DevEvent } from './dev/session.ts';
import { listen, removeDevAdvert, writeDevAdvert } from './dev/server.ts';
import { describeRoutes } from './dev/state.ts';
import { watchApp } from './dev/watch.ts';
import { createGateway, type GatewayAccess } from './events/http/gateway.ts';
import { createLogger } from './observe/logger.ts';
import { createEngine, type Engine, type LogSink, resolvePython } from './runtime/index.ts';
import { engineSettings, starting } from './wiring.ts';

export { startServer, type PlatformServer, type ServerOptions } from './server.ts';

/** The account id `dev` reports in ARNs (LocalStack's and SAM's too). */
const DEV_ACCOUNT = '000000000000';

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
    ...engineSettings(config, path.resolve(options.baseDir, config.dataDir), options.hostEnv),
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
  /** Queues, buckets, schedules and async invocations of the dev app. */
  events: EventPlane;
  routes(): ReturnType<typeof describeRoutes>;
  /** Process ids of the live function environments. */
  pids(): number[];
  close(): Promise<void>;
}

/** `laambda dev`: the app's gateway, AWS endpoint (Lambda, S3, SQS) and event sources over warm environments, reloading on save. */
export async function startDev(options: DevOptions): Promise<DevServer> {
  const { config } = options;
  const dir = path.resolve(options.dir);
  const dataDir = path.resolve(dir, config.dataDir);
  const logger = createLogger({ level: config.logLevel });
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    // Bound first: functions are told the AWS endpoint's URL when their environments start.
    const handlers = { gateway: starting, aws: starting };
    const gatewayListener = await listen((req, res) => handlers.gateway(req, res), options.host, options.port);
    closers.push(() => gatewayListener.close());
    const awsListener = await listen((req, res) => handlers.aws(req, res), options.host, options.awsPort);
    closers.push(() => awsListener.close());
    const engine = await createEngine({
      ...engineSettings(config, dataDir, options.hostEnv),
      logger,
      onLog: options.onLog,
      platformEnvironment: { AWS_ENDPOINT_URL: awsListener.url },
    });
    closers.push(() => engine.close());
    let plane: EventPlane | undefined;
    const session = new DevSession({
      dir,
      dataDir,
      engine,
      clock: systemClock,
      hostEnv: options.hostEnv,
      python: () => resolvePython(config.python, options.hostEnv).path,
      onEvent: (event) => {
        options.onEvent(event);
        if (event.type === 'reloaded') void applySources();
      },
    });
    closers.push(() => session.close());
    await session.start();

    // Queues, buckets, schedules and async invocations live in the app's .laambda/ like the rest.
    const storage = await createSqliteStorage({ dataDir });
    closers.push(() => storage.close());
    const appName = session.state.app.name;
    const app = (await storage.apps.get(appName)) ?? (await storage.apps.create({ name: appName, domain: null }));
    const functionOf = (fn: string) => session.state.functions.get(fn);
    plane = createEventPlane({
      storage,
      dataDir,
      clock: systemClock,
      logger,
      region: config.region,
      accountId: DEV_ACCOUNT,
      partition: 'aws',
      authenticate: createOpenAuthenticate(app.id),
      awsUrl: () => awsListener.url,
      lambdaName: (_appId, fn) => `${session.state.app.name}-${fn}`,
      asyncConfig: (_appId, fn) => functionOf(fn)?.definition.async,
      invoke: async (_appId, fn, request) => (functionOf(fn) === undefined ? undefined : session.invoke(fn, request)),
    });
    const events = plane;
    closers.push(() => events.close());
    let applying = Promise.resolve();
    const applySources = () => {
      applying = applying.then(() =>
        events.sources.apply(
          sourceApp(
            app.id,
            appName,
            [...session.state.functions.values()].map((fn) => ({ definition: fn.definition, timeoutS: fn.spec.timeoutS ?? LIMITS.timeoutS.default })),
          ),
        ).catch((error: unknown) => logger.error({ err: error }, 'event sources could not follow the reload')),
      );
      return applying;
    };
    await applySources();

    const baseUrl = gatewayListener.url;
    handlers.gateway = createGateway({
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
    const invokeApi = createInvokeApi({
      resolve: (name) => {
        const fns = [...session.state.functions.values()];
        return fns.find((fn) => fn.definition.name === name || fn.spec.name === name)?.definition.name;
      },
      invoke: (name, request) => session.invoke(name, request),
      enqueue: async (name, payload, requestId) => {
        await events.dispatcher.enqueue({ id: requestId, appId: app.id, functionName: name, release: null, payload, attempts: 0, createdAt: Date.now(), source: 'invoke' });
      },
      region: config.region,
      accountId: DEV_ACCOUNT,
      logger,
    });
    handlers.aws = createAwsEndpoint({ lambda: invokeApi, sqs: events.sqs, s3: events.s3 }, logger);
    events.start();
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
    return {
      url: gatewayListener.url,
      awsUrl: awsListener.url,
      session,
      events,
      routes: () => describeRoutes(session.state, baseUrl),
      pids: () => engine.pids(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
