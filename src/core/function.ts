import { LaambdaError } from './errors.ts';

/** The runtimes laambda runs; detected from the code or set explicitly. */
export const RUNTIMES = ['nodejs', 'python', 'provided'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** Lambda's own ranges and defaults. */
export const LIMITS = {
  memoryMB: { min: 128, max: 10_240, default: 128 },
  timeoutS: { min: 1, max: 900, default: 3 },
  environmentBytes: 4 * 1024,
  tmpMB: { min: 512, max: 10_240, default: 512 },
} as const;

/** Keys Lambda sets itself; a function's environment may not override them. */
export const RESERVED_ENVIRONMENT_KEYS: ReadonlySet<string> = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** What the engine needs to run one version of one function. */
export interface FunctionSpec {
  /** Full function name, e.g. `shop-orders`. */
  name: string;
  /** `$LATEST` unless a release says otherwise. */
  version?: string;
  /** Directory holding the code (LAMBDA_TASK_ROOT). */
  codeDir: string;
  /** `module.function`, with an optional directory: `src/api/users.handler`. */
  handler: string;
  runtime: Runtime;
  memoryMB?: number;
  timeoutS?: number;
  /** The function's own environment variables (app config). */
  environment?: Record<string, string>;
  /** Most environments running at once; more requests are throttled. */
  concurrency?: number;
  /** Environments kept warm even when idle (provisioned concurrency). */
  minWarm?: number;
  /** Size cap of the environment's writable temp dir. */
  tmpMB?: number;
  /**
   * Code revision: a new one runs in fresh environments while the old ones drain. Not visible
   * to the function (dev bumps it on every save; releases use `version`).
   */
  revision?: string;
  /**
   * The AWS endpoint and credentials the function's SDK should use (its app's buckets, queues and
   * functions): AWS_ENDPOINT_URL and the AWS_* key variables. Null keeps the engine's defaults.
   */
  aws?: FunctionAwsAccess | null;
}

export interface FunctionAwsAccess {
  endpointUrl: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A spec with every default filled in and every range checked. */
export type ResolvedFunctionSpec = Required<FunctionSpec>;

function checkRange(field: string, value: number, range: { min: number; max: number }): void {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new LaambdaError(
      'ERR_FUNCTION_CONFIG_INVALID',
      `${field} must be a whole number from ${range.min} to ${range.max}, got ${value}`,
      { details: { field, value } },
    );
  }
}

/** Fills defaults and validates a function spec against Lambda's limits. */
export function resolveFunctionSpec(spec: FunctionSpec, defaultConcurrency: number): ResolvedFunctionSpec {
  const resolved: ResolvedFunctionSpec = {
    name: spec.name,
    version: spec.version ?? '$LATEST',
    codeDir: spec.codeDir,
    handler: spec.handler,
    runtime: spec.runtime,
    memoryMB: spec.memoryMB ?? LIMITS.memoryMB.default,
    timeoutS: spec.timeoutS ?? LIMITS.timeoutS.default,
    environment: spec.environment ?? {},
    concurrency: spec.concurrency ?? defaultConcurrency,
    minWarm: spec.minWarm ?? 0,
    tmpMB: spec.tmpMB ?? LIMITS.tmpMB.default,
    revision: spec.revision ?? '',
    aws: spec.aws ?? null,
  };
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(resolved.name)) {
    throw new LaambdaError(
      'ERR_FUNCTION_CONFIG_INVALID',
      `function name "${resolved.name}" must be 1-64 letters, digits, - or _`,
    );
  }
  if (!(RUNTIMES as readonly string[]).includes(resolved.runtime)) {
    throw new LaambdaError('ERR_FUNCTION_CONFIG_INVALID', `runtime must be one of ${RUNTIMES.join(', ')}`);
  }
  checkRange('memory (MB)', resolved.memoryMB, LIMITS.memoryMB);
  checkRange('timeout (s)', resolved.timeoutS, LIMITS.timeoutS);
  checkRange('temp storage (MB)', resolved.tmpMB, LIMITS.tmpMB);
  checkRange('concurrency', resolved.concurrency, { min: 1, max: 10_000 });
  checkRange('minimum warm environments', resolved.minWarm, { min: 0, max: resolved.concurrency });
  checkEnvironment(resolved.environment);
  return resolved;
}

function checkEnvironment(environment: Record<string, string>): void {
  let bytes = 0;
  for (const [key, value] of Object.entries(environment)) {
    if (RESERVED_ENVIRONMENT_KEYS.has(key)) {
      throw new LaambdaError('ERR_FUNCTION_CONFIG_INVALID', `environment variable ${key} is reserved by Lambda`);
    }
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) {
      throw new LaambdaError(
        'ERR_FUNCTION_CONFIG_INVALID',
        `environment variable name "${key}" must start with a letter and hold only letters, digits and _`,
      );
    }
    bytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (bytes > LIMITS.environmentBytes) {
    throw new LaambdaError(
      'ERR_FUNCTION_ENV_TOO_LARGE',
      `the function environment is ${bytes} bytes; Lambda allows ${LIMITS.environmentBytes}`,
      { details: { bytes } },
    );
  }
}
