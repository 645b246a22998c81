import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isLaambdaError, LaambdaError } from '../../core/errors.ts';
import { type FunctionSpec, resolveFunctionSpec, type ResolvedFunctionSpec } from '../../core/function.ts';
import { type Clock, type Logger, silentLogger, systemClock } from '../../core/ports.ts';
import { MAX_SYNC_PAYLOAD_BYTES } from '../protocol.js';
import { Environment } from './environment.ts';
import { type LaunchContext, type PythonInterpreter, resolvePython } from './launch.ts';
import type { LogSink } from './log-capture.ts';
import { createMemoryGuard, type MemoryEnforcement } from './memory.ts';
import { Pool, type PoolStats } from './pool.ts';
import { createRuntimeApiServer } from './runtime-api.ts';
import type { FunctionError, InvokeRequest, InvokeResult } from './types.ts';

export interface EngineOptions {
  /** Where environments get their temp dirs; the engine owns `DATA_DIR/runtime/`. */
  dataDir: string;
  clock?: Clock;
  /** Every captured line: function output and START/END/REPORT. */
  onLog?: LogSink;
  /** Platform events: environments starting and ending, throttles. Silent by default. */
  logger?: Logger;
  region?: string;
  accountId?: string;
  credentials?: LaunchContext['credentials'];
  /** Extra variables for every function (e.g. AWS_ENDPOINT_URL). */
  platformEnvironment?: Record<string, string>;
  /** Python interpreter to use; default: the real one behind `python3`. */
  python?: string;
  /** Concurrency limit of a function that sets none. */
  defaultConcurrency?: number;
  /** Idle time after which an environment stops (scale to zero). */
  idleTimeoutMs?: number;
  memoryEnforcement?: MemoryEnforcement;
  /** The environment the engine itself runs in, to find interpreters; never given to functions. */
  hostEnv?: NodeJS.ProcessEnv;
}

export interface Engine {
  /** Runs one invocation. Function errors are results; throttles and bad requests throw. */
  invoke(spec: FunctionSpec, request: InvokeRequest): Promise<InvokeResult>;
  /** Starts the function's warm minimum now (provisioned concurrency) without invoking it. */
  prepare(spec: FunctionSpec): void;
  /**
   * Starts one environment of the spec and waits for its init to finish, without invoking it:
   * resolves with the init error (syntax error, missing handler…) or undefined once it is
   * ready. The warm environment then serves the next invocation.
   */
  warm(spec: FunctionSpec): Promise<FunctionError | undefined>;
  /**
   * Retires the pools of the named function — all of them, or all but `keep`'s: new
   * invocations start fresh, in-flight ones finish on the old code.
   */
  retire(functionName: string, keep?: FunctionSpec): Promise<void>;
  stats(): PoolStats[];
  /** Process ids of every live environment. */
  pids(): number[];
  readonly memoryMode: 'cgroup' | 'watchdog';
  close(): Promise<void>;
}

const DEFAULT_CREDENTIALS = {
  accessKeyId: 'LAAMBDALOCALACCESSKEY',
  secretAccessKey: 'laambda-local-secret-access-key',
  sessionToken: 'laambda-local-session-token',
};

/** Identity of a pool: a change to any of these fields runs in fresh environments. */
function poolKey(spec: ResolvedFunctionSpec): string {
  return JSON.stringify([
    spec.name,
    spec.version,
    spec.codeDir,
    spec.handler,
    spec.runtime,
    spec.memoryMB,
    spec.timeoutS,
    spec.tmpMB,
    spec.environment,
    spec.revision,
  ]);
}

/** Random hex from a pooled buffer: one randomBytes call per 200 trace ids, not two per id. */
let entropy = Buffer.alloc(0);
function randomHex(bytes: number): string {
  if (entropy.length < bytes) entropy = randomBytes(4096);
  const hex = entropy.toString('hex', 0, bytes);
  entropy = entropy.subarray(bytes);
  return hex;
}

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomHex(12)};Parent=${randomHex(8)};Sampled=0`;
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const tmpRoot = path.join(options.dataDir, 'runtime', `tmp-${process.pid}`);
  mkdirSync(tmpRoot, { recursive: true });
  const api = createRuntimeApiServer();
  const memory = createMemoryGuard(options.memoryEnforcement ?? 'auto');
  const onLog: LogSink = options.onLog ?? (() => {});
  const logger = options.logger ?? silentLogger;
  let python: PythonInterpreter | undefined;
  const context: LaunchContext = {
    region,
    credentials: options.credentials ?? DEFAULT_CREDENTIALS,
    platformEnvironment: options.platformEnvironment ?? {},
    pycacheDir: path.join(options.dataDir, 'runtime', 'pycache'),
    python: () => (python ??= resolvePython(options.python, options.hostEnv ?? process.env)),
  };
  const pools = new Map<string, Pool>();
  const specs = new WeakMap<FunctionSpec, ResolvedFunctionSpec>();
  let closed = false;

  const poolFor = (input: FunctionSpec): Pool => {
    if (closed) throw new LaambdaError('ERR_ENGINE_CLOSED', 'the engine is stopped');
    let spec = specs.get(input);
    if (spec === undefined) {
      spec = resolveFunctionSpec(input, options.defaultConcurrency ?? 100);
      specs.set(input, spec);
    }
    const key = poolKey(spec);
    let pool = pools.get(key);
    if (pool === undefined) {
      const resolved = spec;
      if (spec.runtime === 'python' && spec.revision !== '') {
        // Python trusts a .pyc whose source has the same mtime (in seconds) and size: a save
        // within the same second would run the old bytecode. New code, no cached bytecode.
        rmSync(path.join(context.pycacheDir, spec.codeDir), { recursive: true, force: true });
      }
      pool = new Pool({
        spec: resolved,
        clock,
        idleTimeoutMs: options.idleTimeoutMs ?? 10 * 60_000,
        createEnvironment: (hooks) =>
          new Environment({ spec: resolved, api, memory, clock, context, tmpRoot, onLog, logger, ...hooks }),
      });
      pools.set(key, pool);
    }
    return pool;
  };

  return {
    memoryMode: memory.mode,

    invoke(spec, request) {
      const payload = typeof request.payload === 'string' ? Buffer.from(request.payload) : request.payload;
      // AWS: "Request must be smaller than 6291456 bytes for the InvokeFunction operation".
      if (payload.length >= MAX_SYNC_PAYLOAD_BYTES) {
        return Promise.reject(
          new LaambdaError(
            'ERR_INVOKE_PAYLOAD_TOO_LARGE',
            `the request payload is ${payload.length} bytes; the limit is ${MAX_SYNC_PAYLOAD_BYTES}`,
          ),
        );
      }
      try {
        const pool = poolFor(spec);
        const { name, version } = pool.spec;
        const qualifier = version === '$LATEST' ? '' : `:${version}`;
        return new Promise((resolve, reject) => {
          pool.submit({
            requestId: request.requestId ?? randomUUID(),
            payload,
            functionArn: `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier}`,
            traceId: request.traceId ?? traceId(),
            clientContext: request.clientContext,
            identity: request.identity,
            logTail: request.logTail === true,
            resolve,
            reject,
          });
        });
      } catch (error) {
        if (isLaambdaError(error) && error.code === 'ERR_INVOKE_THROTTLED') {
          logger.warn({ fn: spec.name, ...error.details }, 'invocation throttled');
        }
        return Promise.reject(error);
      }
    },

    prepare(spec) {
      poolFor(spec);
    },

    async warm(spec) {
      return poolFor(spec).warmOne();
    },

    async retire(functionName, keep) {
      const kept = keep === undefined ? undefined : poolKey(resolveFunctionSpec(keep, options.defaultConcurrency ?? 100));
      const retiring = [...pools].filter(([key, pool]) => pool.spec.name === functionName && key !== kept);
      for (const [key] of retiring) pools.delete(key);
      await Promise.all(retiring.map(([, pool]) => pool.drain()));
    },

    stats: () => [...pools.values()].map((pool) => pool.stats()),
    pids: () => [...pools.values()].flatMap((pool) => pool.pids()),

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
      await api.close();
      memory.close();
      rmSync(tmpRoot, { recursive: true, force: true });
    },
  };
}
