import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { resolveFunctionSpec, type FunctionSpec } from '../../core/function.ts';
import { buildLaunch, type LaunchContext, type LaunchOptions } from './launch.ts';

const context: LaunchContext = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKID', secretAccessKey: 'SECRET', sessionToken: 'TOKEN' },
  platformEnvironment: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4000' },
  python: () => ({ path: '/opt/python/bin/python3.12', version: '3.12' }),
  pycacheDir: '/data/pycache',
};

function launch(spec: Partial<FunctionSpec>, extra: Partial<LaunchOptions> = {}) {
  return buildLaunch({
    spec: resolveFunctionSpec({ name: 'orders', codeDir: '/srv/app', handler: 'index.handler', runtime: 'nodejs', ...spec }, 10),
    context,
    runtimeApi: '127.0.0.1:9001',
    tmpDir: '/data/tmp/env-1',
    logStreamName: '2026/01/02/[$LATEST]abc',
    provisioned: false,
    ...extra,
  });
}

const LAMBDA_KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_DEFAULT_REGION',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_REGION',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
  'LANG',
  'LD_LIBRARY_PATH',
  'PATH',
  'TMPDIR',
  'TZ',
  '_HANDLER',
];

describe('buildLaunch', () => {
  it('starts Node with the bootstrap, old space sized to 90% of memory, and exactly the Lambda environment', () => {
    const { command, args, env } = launch({ memoryMB: 512, environment: { GREETING: 'hi' } });
    assert.equal(command, process.execPath);
    assert.equal(args[0], '--max-old-space-size=460');
    assert.equal(path.basename(args[1]!), 'node.child.mjs');
    assert.deepEqual(
      Object.keys(env).sort(),
      [...LAMBDA_KEYS, 'AWS_ENDPOINT_URL', 'AWS_EXECUTION_ENV', 'GREETING', 'NODE_PATH'].sort(),
    );
    assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '512');
    assert.equal(env.AWS_LAMBDA_LOG_GROUP_NAME, '/aws/lambda/orders');
    assert.equal(env.AWS_LAMBDA_INITIALIZATION_TYPE, 'on-demand');
    assert.equal(env.AWS_REGION, 'eu-west-1');
    assert.equal(env.AWS_ACCESS_KEY_ID, 'AKID');
    assert.equal(env.LAMBDA_TASK_ROOT, '/srv/app');
    assert.equal(env.TMPDIR, '/data/tmp/env-1');
    assert.equal(env.NODE_PATH, '/srv/app/node_modules');
    assert.match(env.AWS_EXECUTION_ENV!, /^AWS_Lambda_nodejs\d+\.x$/);
    assert.ok(env.PATH!.startsWith(`${path.dirname(process.execPath)}:`));
  });

  it('never inherits the platform process environment', () => {
    process.env.LAAMBDA_LAUNCH_TEST_SECRET = 'x';
    try {
      assert.equal(launch({}).env.LAAMBDA_LAUNCH_TEST_SECRET, undefined);
    } finally {
      delete process.env.LAAMBDA_LAUNCH_TEST_SECRET;
    }
  });

  it("lets Lambda's own variables win over the platform's", () => {
    const { env } = buildLaunch({
      spec: resolveFunctionSpec({ name: 'orders', codeDir: '/srv/app', handler: 'index.handler', runtime: 'nodejs' }, 10),
      context: { ...context, platformEnvironment: { AWS_REGION: 'mars-1', _HANDLER: 'evil.handler' } },
      runtimeApi: '127.0.0.1:9001',
      tmpDir: '/tmp/x',
      logStreamName: 's',
      provisioned: false,
    });
    assert.equal(env.AWS_REGION, 'eu-west-1');
    assert.equal(env._HANDLER, 'index.handler');
  });

  it('marks environments of the warm minimum as provisioned-concurrency', () => {
    assert.equal(launch({}, { provisioned: true }).env.AWS_LAMBDA_INITIALIZATION_TYPE, 'provisioned-concurrency');
  });

  it('runs the real Python interpreter unbuffered with the Python bootstrap', () => {
    const { command, args, env } = launch({ runtime: 'python', handler: 'app.handler' });
    assert.equal(command, '/opt/python/bin/python3.12');
    assert.ok(args.includes('-u'), 'unbuffered, so output lines arrive as printed');
    assert.equal(path.basename(args.at(-1)!), 'bootstrap.py');
    assert.equal(env.AWS_EXECUTION_ENV, 'AWS_Lambda_python3.12');
    assert.ok(env.PATH!.startsWith('/opt/python/bin:'));
    assert.equal(env.NODE_PATH, undefined);
  });

  it('runs the bootstrap of a custom runtime directly, with the system PATH', () => {
    const { command, args, env } = launch({ runtime: 'provided' });
    assert.equal(command, '/srv/app/bootstrap');
    assert.deepEqual(args, []);
    assert.equal(env.PATH, '/usr/local/bin:/usr/bin:/bin');
    assert.equal(env.AWS_EXECUTION_ENV, undefined);
  });
});
