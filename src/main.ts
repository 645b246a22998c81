// The composition root: the only place that picks adapters and wires them together.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { createControlApi } from './api/index.ts';
import { createInvokeApi } from './aws/lambda/index.ts';
import type { Config } from './config/index.ts';
import { type Clock, systemClock } from './core/ports.ts';
import { createPlatformInvokeApi } from './deploy/invoke-api.ts';
import { LiveApps, type RunnableRelease } from './deploy/live.ts';
import { createSecrets, loadMasterKey } from './deploy/secrets.ts';
import { createPlatform } from './deploy/services/index.ts';
import { createAsyncDispatcher } from './events/async/dispatcher.ts';
import { createHostRouter } from './events/http/hosts.ts';
import { createGitHandler, removeRepo } from './git/index.ts';
import { createSqliteStorage } from './storage/index.ts';
import { DevSession, type DevEvent } from './dev/session.ts';
import { listen, removeDevAdvert, writeDevAdvert } from './dev/server.ts';
import { describeRoutes } from './dev/state.ts';
import { watchApp } from './dev/watch.ts';
import { createGateway, type GatewayAccess } from './events/http/gateway.ts';
import { createLogger } from './observe/logger.ts';
import { createEngine, type Engine, type LogSink, resolvePython } from './runtime/index.ts';
import { LaambdaError } from './core/errors.ts';

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

export interface ServerOptions {
  config: Config;
  host: string;
  /** Control listener (API, git); 0 picks a free port. */
  port: number;
  /** Gateway listener (apps by Host); 0 picks a free port. */
  gatewayPort: number;
  /** AWS endpoint (Lambda Invoke API); 0 picks a free port. */
  awsPort: number;
  hostEnv: NodeJS.ProcessEnv;
  /** Function output and REPORT lines; default: the platform log. */
  onLog?: LogSink;
  onAccess?(app: string, access: GatewayAccess): void;
  clock?: Clock;
}

export interface PlatformServer {
  controlUrl: string;
  gatewayUrl: string;
  awsUrl: string;
  dataDir: string;
  /** Set only when this start created the admin token: print it once. */
  adminToken?: string;
  /** Process ids of the live function environments. */
  pids(): number[];
  /** Stops accepting, lets in-flight requests finish (up to `deadlineMs`), then stops environments. */
  close(deadlineMs?: number): Promise<void>;
}

const VERSION = '0.1.0';

/** `laambda server`: the platform — control API and git, the apps' gateway, the AWS endpoint. */
export async function startServer(options: ServerOptions): Promise<PlatformServer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const dataDir = path.resolve(config.dataDir);
  const logger = createLogger({ level: config.logLevel });
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch((error: unknown) => logger.error({ err: error }, 'shutdown step failed'));
  };
  try {
    const storage = await createSqliteStorage({ dataDir });
    closers.push(() => storage.close());
    const secrets = createSecrets(loadMasterKey({ dataDir, masterKey: config.masterKey }));
    const engine = await createEngine({
      dataDir,
      region: config.region,
      accountId: config.accountId,
      ...(config.python === undefined ? {} : { python: config.python }),
      memoryEnforcement: config.memoryEnforcement,
      idleTimeoutMs: config.idleTimeout * 1000,
      defaultConcurrency: config.concurrency,
      hostEnv: options.hostEnv,
      logger,
      onLog: options.onLog ?? ((record) => logger.info({ fn: record.functionName, requestId: record.requestId, stream: record.stream }, record.line)),
    });
    closers.push(() => engine.close());
    const live = new LiveApps({ engine, blobs: storage.blobs, secrets, clock, logger, codeRoot: path.join(dataDir, 'code') });
    const reposDir = path.join(dataDir, 'git');
    let urls = { control: '', gateway: '', aws: '' };
    const platform = createPlatform(
      {
        storage,
        live,
        secrets,
        clock,
        logger,
        region: config.region,
        accountId: config.accountId,
        partition: config.partition,
        defaultConcurrency: config.concurrency,
        urls: () => urls,
      },
      {
        buildRoot: path.join(dataDir, 'builds'),
        cacheDir: path.join(dataDir, 'cache'),
        codeRoot: path.join(dataDir, 'code'),
        python: () => resolvePython(config.python, options.hostEnv).path,
        hostEnv: options.hostEnv,
      },
      { onDestroyed: (name) => removeRepo(reposDir, name) },
    );
    await platform.restore();
    const adminToken = await platform.ensureAdminToken(config.adminToken);

    const dispatcher = createAsyncDispatcher({
      store: storage.invocations,
      logger,
      async run(invocation) {
        const app = await storage.apps.getById(invocation.appId);
        const current = app === undefined ? undefined : live.get(app.id);
        if (app === undefined || current === undefined) return { failed: false };
        const release = invocation.release === null ? undefined : await storage.releases.get(app.id, invocation.release);
        const runnable = release === undefined ? current : await live.pinned(app, release);
        const result = await live.invokeIn(runnable, invocation.functionName, { payload: invocation.payload, requestId: invocation.id });
        return { failed: result.error !== undefined };
      },
    });
    closers.push(() => dispatcher.stop());

    const git = createGitHandler({
      reposDir,
      logger,
      deployUrl: (app) => `${urls.control}/api/v1/apps/${app}/deploys`,
      async authorize(app, token) {
        const principal = token === undefined ? undefined : await platform.services.authenticate(token);
        if (principal === undefined) return 'unauthorized';
        const found = await storage.apps.get(app);
        if (found === undefined || (!principal.admin && principal.appId !== found.id)) return 'not-found';
        return 'ok';
      },
    });
    const control = createControlApi({ services: platform.services, version: VERSION, logger, extra: [git] });

    const gateways = new Map<string, { release: RunnableRelease; handler: (req: IncomingMessage, res: ServerResponse) => void }>();
    const gatewayOf = (runnable: RunnableRelease) => {
      const cached = gateways.get(runnable.app.id);
      if (cached !== undefined && cached.release.app === runnable.app) return cached.handler;
      const appId = runnable.app.id;
      const handler = createGateway({
        routes: () => {
          const routes = live.get(appId)?.routes;
          if (routes === undefined) throw new Error(`app ${runnable.app.name} has no routes`);
          return routes;
        },
        invoke: (name, payload) => {
          const current = live.get(appId);
          if (current === undefined) return Promise.reject(new Error(`app ${runnable.app.name} is gone`));
          return live.invokeIn(current, name, { payload });
        },
        apiId: runnable.app.name,
        clock,
        logger,
        ...(options.onAccess === undefined ? {} : { onAccess: (access: GatewayAccess) => options.onAccess?.(runnable.app.name, access) }),
      });
      gateways.set(appId, { release: runnable, handler });
      return handler;
    };
    const hostRouter = createHostRouter({
      gatewayFor(target) {
        const runnable = live.find(target);
        return runnable?.routes === undefined ? undefined : gatewayOf(runnable);
      },
    });

    const invokeApi = createPlatformInvokeApi({
      config,
      live,
      platform,
      storage,
      clock,
      logger,
      enqueue: async (target, payload, requestId) => {
        await dispatcher.enqueue({
          id: requestId,
          appId: target.runnable.app.id,
          functionName: target.fn,
          release: target.pinned ? target.runnable.release.version : null,
          payload,
          attempts: 0,
          createdAt: clock.now(),
        });
      },
    });
    const awsHandler = (req: IncomingMessage, res: ServerResponse) => {
      invokeApi(req, res).then(
        (handled) => {
          if (handled) return;
          const body = JSON.stringify({ message: `laambda does not serve ${req.method} ${(req.url ?? '').split('?')[0]} yet` });
          res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException', 'x-amzn-requestid': randomUUID() });
          res.end(body);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'aws endpoint request failed');
          res.destroy();
        },
      );
    };

    const listeners = await Promise.all([
      listen(control, options.host, options.port),
      listen(hostRouter, options.host, options.gatewayPort),
      listen(awsHandler, options.host, options.awsPort),
    ]).catch((error: unknown) => {
      throw new LaambdaError('ERR_SERVER_LISTEN_FAILED', error instanceof Error ? error.message : String(error), { cause: error });
    });
    const [controlListener, gatewayListener, awsListener] = listeners;
    urls = { control: controlListener.url, gateway: gatewayListener.url, aws: awsListener.url };
    dispatcher.start();
    const advert = { pid: process.pid, version: VERSION, controlUrl: urls.control, gatewayUrl: urls.gateway, awsUrl: urls.aws };
    writeFileSync(path.join(dataDir, 'server.json'), `${JSON.stringify(advert, null, 2)}\n`);
    logger.debug({ ...advert, dataDir }, 'laambda server ready');
    return {
      controlUrl: urls.control,
      gatewayUrl: urls.gateway,
      awsUrl: urls.aws,
      dataDir,
      ...(adminToken === undefined ? {} : { adminToken }),
      pids: () => engine.pids(),
      async close(deadlineMs = 10_000) {
        // Stop accepting first; in-flight requests (and their invocations) get until the deadline.
        const drained = Promise.all(listeners.map((listener) => listener.close()));
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
        await Promise.race([drained, deadline]);
        clearTimeout(timer);
        for (const listener of listeners) listener.server.closeAllConnections();
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
