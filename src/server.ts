// `laambda server` put together: storage, the engine, live apps, the event plane, logs and
// metrics, the control API with git, the gateway and the AWS endpoint.
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { createControlApi } from './api/index.ts';
import type { Config } from './config/index.ts';
import { type Clock, systemClock } from './core/ports.ts';
import { createPlatformInvokeApi } from './deploy/invoke-api.ts';
import { LiveApps, type RunnableRelease } from './deploy/live.ts';
import { LIMITS } from './core/function.ts';
import { createSecrets, loadMasterKey } from './deploy/secrets.ts';
import { functionCredentials } from './deploy/credentials.ts';
import { createKeyAuthenticate } from './aws/auth.ts';
import { createAwsEndpoint } from './aws/endpoint.ts';
import { createEventPlane, type EventPlane, sourceApp } from './event-plane.ts';
import { createPlatform } from './deploy/services/index.ts';
import { createHostRouter } from './events/http/hosts.ts';
import { createGitHandler, removeRepo } from './git/index.ts';
import { createSqliteStorage } from './storage/index.ts';
import { listen } from './dev/server.ts';
import { createGateway, type GatewayAccess } from './events/http/gateway.ts';
import { createLogger } from './observe/logger.ts';
import { createEngine, type LogRecord, type LogSink, resolvePython } from './runtime/index.ts';
import { createLogService, entryFromRecord, type LogEventFields } from './observe/logs/index.ts';
import { createDrainManager } from './observe/drains/index.ts';
import { DRAIN_EVENT_TYPE } from './core/drains.ts';
import { createMetrics, createMetricsHandler } from './observe/metrics/index.ts';
import { engineEventLogger } from './observe/platform-events.ts';
import { Counter, Gauge } from 'prom-client';
import { LaambdaError } from './core/errors.ts';
import { engineSettings, starting } from './wiring.ts';

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
  /** Delay before async retry n (tests shorten Lambda's 60 s, 120 s). */
  asyncRetryDelayMs?(retry: number): number;
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

/** The functions of a runnable release with the timeout each runs with. */
function liveFunctions(runnable: RunnableRelease) {
  return [...runnable.functions.values()].map((fn) => ({ definition: fn.definition, timeoutS: fn.spec.timeoutS ?? LIMITS.timeoutS.default }));
}

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
    const masterKey = loadMasterKey({ dataDir, masterKey: config.masterKey });
    const secrets = createSecrets(masterKey);
    // Bound first: function environments are told the AWS endpoint's URL, and git hooks the control URL.
    const handlers = { control: starting, gateway: starting, aws: starting };
    const listeners = await Promise.all([
      listen((req, res) => handlers.control(req, res), options.host, options.port),
      listen((req, res) => handlers.gateway(req, res), options.host, options.gatewayPort),
      listen((req, res) => handlers.aws(req, res), options.host, options.awsPort),
    ]).catch((error: unknown) => {
      throw new LaambdaError('ERR_SERVER_LISTEN_FAILED', error instanceof Error ? error.message : String(error), { cause: error });
    });
    closers.push(async () => {
      for (const listener of listeners) listener.server.closeAllConnections();
      await Promise.all(listeners.map((listener) => listener.close()));
    });
    const [controlListener, gatewayListener, awsListener] = listeners;
    const urls = { control: controlListener.url, gateway: gatewayListener.url, aws: awsListener.url };

    // Every function line and platform event goes to the app's log (and on to its drains).
    const logs = await createLogService({
      store: storage.logs,
      clock,
      logger,
      retention: { maxAgeMs: config.logRetentionHours * 3_600_000, maxBytesPerApp: config.logMaxMb * 1024 * 1024 },
    });
    closers.push(() => logs.close());
    const nameOf = (appId: string) => live.get(appId)?.app.name ?? appId;
    const audit = (appId: string, type: string, message: string, fields: LogEventFields = {}) => {
      const stored = logs.event(appId, type, message, fields);
      if (stored !== undefined) drains.deliver(stored);
    };
    const drains = createDrainManager({
      store: storage.drains,
      logger,
      clock,
      appName: nameOf,
      onDropped: (appId, url, count) => {
        drainDropped.inc({ app: nameOf(appId) }, count);
        audit(appId, DRAIN_EVENT_TYPE, `${count} lines for ${url} dropped: its buffer was full while the drain could not send`);
      },
    });
    closers.push(() => drains.close());
    const metrics = createMetrics({ store: storage.metrics, clock, logger, rollupRetentionMs: config.metricsRetentionDays * 86_400_000 });
    const drainDropped = new Counter({
      name: 'laambda_drain_dropped_lines_total',
      help: 'Log lines a drain dropped because its buffer was full while it could not send',
      labelNames: ['app'],
      registers: [metrics.registry],
    });
    new Gauge({
      name: 'laambda_log_lines_dropped',
      help: 'Log lines the log store dropped since the server started, because storage fell behind',
      registers: [metrics.registry],
      collect() {
        this.set(logs.stats().dropped);
      },
    });
    closers.push(() => metrics.close());
    // Function lines live in the log store (`laambda logs`); the server's own output has them at debug only.
    const printLine = options.onLog ?? ((record: LogRecord) => logger.debug({ fn: record.functionName, requestId: record.requestId, stream: record.stream }, record.line));
    const rawEngine = await createEngine({
      ...engineSettings(config, dataDir, options.hostEnv),
      accountId: config.accountId,
      logger: engineEventLogger(logger, (event) => {
        const owner = live.functionOf(event.lambdaName);
        if (owner !== undefined) audit(owner.app.id, event.type, event.message, { function: owner.fn, ...(event.requestId === undefined ? {} : { requestId: event.requestId }) });
      }),
      onLog: (record) => {
        printLine(record);
        const owner = live.functionOf(record.functionName);
        if (owner === undefined) return;
        const stored = logs.write(entryFromRecord(record, { appId: owner.app.id, function: owner.fn, release: /^\d+$/.test(record.version) ? Number(record.version) : null }));
        if (stored !== undefined) drains.deliver(stored);
      },
    });
    closers.push(() => rawEngine.close());
    const engine = metrics.instrument(rawEngine, (spec) => {
      const owner = live.functionOf(spec.name);
      return owner === undefined ? undefined : { app: owner.app.name, appId: owner.app.id, function: owner.fn, release: spec.version ?? '$LATEST' };
    });
    // Each app's functions sign with the app's own derived key (never stored, never listed).
    const functionKeys = new Map<string, { appId: string; secretAccessKey: string }>();
    let plane: EventPlane | undefined;
    const applying = new Map<string, Promise<void>>();
    const live = new LiveApps({
      engine,
      blobs: storage.blobs,
      secrets,
      clock,
      logger,
      codeRoot: path.join(dataDir, 'code'),
      awsAccess(app) {
        const key = functionCredentials(masterKey, app.id);
        functionKeys.set(key.accessKeyId, { appId: app.id, secretAccessKey: key.secretAccessKey });
        return { endpointUrl: urls.aws, ...key };
      },
      onLive(appId, runnable) {
        // Sources follow the live release, one change at a time per app.
        const previous = applying.get(appId) ?? Promise.resolve();
        const next = previous.then(async () => {
          if (runnable === undefined) {
            await drains.forgetApp(appId);
            plane?.queues.forgetApp(appId);
          }
          if (plane === undefined) return;
          if (runnable?.definition === undefined) await plane.sources.remove(appId);
          else await plane.sources.apply(sourceApp(appId, runnable.app.name, liveFunctions(runnable)));
        });
        applying.set(appId, next.catch((error: unknown) => logger.error({ err: error, appId }, 'event sources could not follow the release')));
      },
    });
    const reposDir = path.join(dataDir, 'git');
    const authenticate = createKeyAuthenticate({
      now: () => clock.now(),
      async credentialFor(accessKeyId) {
        const own = functionKeys.get(accessKeyId);
        if (own !== undefined) return own;
        const key = await platform.accessKeySecret(accessKeyId);
        return key === undefined ? undefined : { appId: key.appId, secretAccessKey: key.secret };
      },
    });
    plane = createEventPlane({
      storage,
      dataDir,
      clock,
      logger,
      region: config.region,
      accountId: config.accountId,
      partition: config.partition,
      authenticate,
      awsUrl: () => urls.aws,
      lambdaName: (appId, fn) => `${live.get(appId)?.app.name ?? appId}-${fn}`,
      asyncConfig: (appId, fn) => live.get(appId)?.functions.get(fn)?.definition.async,
      ...(options.asyncRetryDelayMs === undefined ? {} : { retryDelayMs: options.asyncRetryDelayMs }),
      async invoke(appId, fn, request, release) {
        const current = live.get(appId);
        if (current === undefined) return undefined;
        const pinned = release === null || release === undefined ? undefined : await storage.releases.get(appId, release);
        const runnable = pinned === undefined ? current : await live.pinned(current.app, pinned);
        if (!runnable.functions.has(fn)) return undefined;
        return live.invokeIn(runnable, fn, request);
      },
    });
    const events = plane;
    closers.push(() => events.close());
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
        sourceStatus: (appId, fn, source) => events.sources.status(appId, fn, source),
        observe: { logs, drains, metrics },
        audit: (appId, type, message) => audit(appId, type, message),
        events: { queues: events.queues, buckets: events.buckets, scheduler: events.scheduler, queueUrl: events.queueUrl },
      },
      {
        buildRoot: path.join(dataDir, 'builds'),
        cacheDir: path.join(dataDir, 'cache'),
        codeRoot: path.join(dataDir, 'code'),
        python: () => resolvePython(config.python, options.hostEnv).path,
        hostEnv: options.hostEnv,
      },
      {
        async onDestroyed(name) {
          await removeRepo(reposDir, name);
          const { blobs } = await events.collectGarbage();
          logger.debug({ app: name, blobs }, 'object data of a destroyed app removed');
        },
      },
    );
    await platform.restore();
    await Promise.all(applying.values());
    void events.collectGarbage().catch((error: unknown) => logger.warn({ err: error }, 'object garbage collection failed'));
    await drains.start();
    metrics.registerEnvironments(() => rawEngine.pids().length);
    metrics.registerQueueMapping(async () => {
      const gauges = [];
      for (const runnable of live.all()) {
        for (const mapping of events.mappings.status(runnable.app.id)) {
          const stats = await events.queues.stats(runnable.app.id, mapping.queue).catch(() => undefined);
          if (stats !== undefined) {
            gauges.push({ app: runnable.app.name, function: mapping.functionName, queue: mapping.queue, lag: stats.visible, ageOfOldestMessageS: stats.ageOfOldestMessageS });
          }
        }
      }
      return gauges;
    });
    metrics.registerAsync(async () => {
      const pending = await storage.invocations.pending(100_000);
      const now = clock.now();
      const byApp = new Map<string, { app: string; depth: number; retrying: number }>();
      for (const invocation of pending) {
        const gauge = byApp.get(invocation.appId) ?? { app: nameOf(invocation.appId), depth: 0, retrying: 0 };
        gauge.depth += 1;
        if (invocation.attempts > 0 && invocation.nextAttemptAt > now) gauge.retrying += 1;
        byApp.set(invocation.appId, gauge);
      }
      return [...byApp.values()];
    });
    const adminToken = await platform.ensureAdminToken(config.adminToken);

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
    const metricsEndpoint = createMetricsHandler({
      metrics,
      public: config.metricsPublic,
      async authorize(req) {
        const header = req.headers.authorization ?? '';
        const token = header.startsWith('Bearer ') ? header.slice(7) : undefined;
        const principal = token === undefined ? undefined : await platform.services.authenticate(token);
        return principal?.admin === true;
      },
    });
    const control = createControlApi({ services: platform.services, version: VERSION, logger, extra: [git, metricsEndpoint] });

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
        await events.dispatcher.enqueue({
          id: requestId,
          appId: target.runnable.app.id,
          functionName: target.fn,
          release: target.pinned ? target.runnable.release.version : null,
          payload,
          attempts: 0,
          createdAt: clock.now(),
          source: 'invoke',
        });
      },
    });
    handlers.control = control;
    handlers.gateway = hostRouter;
    handlers.aws = createAwsEndpoint({ lambda: invokeApi, sqs: events.sqs, s3: events.s3 }, logger);
    events.start();
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
