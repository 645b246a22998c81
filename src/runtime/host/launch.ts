import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LaambdaError } from '../../core/errors.ts';
import type { ResolvedFunctionSpec } from '../../core/function.ts';

const CHILD_DIR = fileURLToPath(new URL('../child/', import.meta.url));

/** What the engine knows about the platform that a function's environment reflects. */
export interface LaunchContext {
  region: string;
  /** Credentials handed to functions (per-app keys once the aws endpoint exists). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** Variables the platform adds for every function, e.g. AWS_ENDPOINT_URL. */
  platformEnvironment: Record<string, string>;
  /** Where Python keeps compiled bytecode, so code directories stay clean (and may be read-only). */
  pycacheDir: string;
  /** The real Python interpreter; resolved once, lazily. */
  python: () => PythonInterpreter;
}

export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface LaunchOptions {
  spec: ResolvedFunctionSpec;
  context: LaunchContext;
  runtimeApi: string;
  tmpDir: string;
  logStreamName: string;
  provisioned: boolean;
}

const SHOW_PYTHON = 'import sys; print(sys.executable, "%d.%d" % sys.version_info[:2])';
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The exact process to start for a function: command, arguments and the whole environment. */
export function buildLaunch(options: LaunchOptions): Launch {
  const { spec, context } = options;
  const env: Record<string, string> = {
    ...spec.environment,
    ...context.platformEnvironment,
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_VERSION: spec.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMB),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: options.logStreamName,
    AWS_LAMBDA_RUNTIME_API: options.runtimeApi,
    AWS_LAMBDA_INITIALIZATION_TYPE: options.provisioned ? 'provisioned-concurrency' : 'on-demand',
    AWS_REGION: context.region,
    AWS_DEFAULT_REGION: context.region,
    AWS_ACCESS_KEY_ID: context.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: context.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: context.credentials.sessionToken,
    _HANDLER: spec.handler,
    LAMBDA_TASK_ROOT: spec.codeDir,
    LAMBDA_RUNTIME_DIR: CHILD_DIR,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    LD_LIBRARY_PATH: '/lib64:/usr/lib64:/usr/lib:/lib',
    // Not a Lambda variable: each environment needs its own temp dir (Lambda's is /tmp).
    TMPDIR: options.tmpDir,
  };
  if (spec.aws !== null) {
    // The app's own key: long-lived like an IAM user's, so no session token. An endpoint the
    // app's config names wins (it may point its SDK at real AWS).
    env.AWS_ENDPOINT_URL = spec.environment.AWS_ENDPOINT_URL ?? spec.aws.endpointUrl;
    env.AWS_ACCESS_KEY_ID = spec.aws.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = spec.aws.secretAccessKey;
    delete env.AWS_SESSION_TOKEN;
  }

  switch (spec.runtime) {
    case 'nodejs': {
      const major = process.versions.node.split('.')[0];
      env.AWS_EXECUTION_ENV = `AWS_Lambda_nodejs${major}.x`;
      env.PATH = `${path.dirname(process.execPath)}:${SYSTEM_PATH}`;
      env.NODE_PATH = `${path.join(spec.codeDir, 'node_modules')}`;
      // As Lambda's own bootstrap does: size V8's old space to the function's memory.
      const heapMB = Math.floor(spec.memoryMB * 0.9);
      return {
        command: process.execPath,
        args: [`--max-old-space-size=${heapMB}`, path.join(CHILD_DIR, 'node.child.mjs')],
        env,
      };
    }
    case 'python': {
      const python = context.python();
      env.AWS_EXECUTION_ENV = `AWS_Lambda_python${python.version}`;
      env.PATH = `${path.dirname(python.path)}:${SYSTEM_PATH}`;
      // -S skips site (~40 ms of start-up; the bootstrap appends site-packages itself).
      const args = ['-S', '-u', '-X', `pycache_prefix=${context.pycacheDir}`, path.join(CHILD_DIR, 'bootstrap.py')];
      return { command: python.path, args, env };
    }
    case 'provided': {
      env.PATH = SYSTEM_PATH;
      return { command: path.join(spec.codeDir, 'bootstrap'), args: [], env };
    }
  }
}

/**
 * Finds the real Python interpreter once: `python3` on PATH may be a slow shim (pyenv),
 * so ask it for sys.executable and run that directly from then on.
 */
export interface PythonInterpreter {
  path: string;
  /** `3.11` */
  version: string;
}

const resolvedPythons = new Map<string, PythonInterpreter>();

export function resolvePython(configured: string | undefined, env: NodeJS.ProcessEnv): PythonInterpreter {
  const candidate = configured ?? 'python3';
  const known = resolvedPythons.get(candidate);
  if (known !== undefined) return known;
  try {
    const printed = execFileSync(candidate, ['-S', '-c', SHOW_PYTHON], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
    const [real = '', version = '3'] = printed.split(' ');
    accessSync(real, constants.X_OK);
    const interpreter = { path: real, version };
    resolvedPythons.set(candidate, interpreter);
    return interpreter;
  } catch (error) {
    throw new LaambdaError(
      'ERR_RUNTIME_INTERPRETER_MISSING',
      configured ? `the Python interpreter "${configured}" does not run` : 'no python3 interpreter found on PATH',
      { cause: error },
    );
  }
}
