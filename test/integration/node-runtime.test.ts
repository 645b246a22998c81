// The Node.js runtime end to end: real handlers in real child processes behind the engine,
// checked against what AWS Lambda's Node runtime does with the same code.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { COORDINATION_CJS, EngineHarness, json, nodeFunction, ok, type TrackedEngine } from '../support/engine.ts';

const harness = new EngineHarness();
let tracked: TrackedEngine;

// A variable only the test process has: functions must never see the platform's environment.
const HOST_ONLY = `LAAMBDA_TEST_HOST_ONLY_${process.pid}`;
process.env[HOST_ONLY] = 'the platform keeps this to itself';

before(async () => {
  tracked = await harness.engine();
});

after(async () => {
  delete process.env[HOST_ONLY];
  await harness.cleanup();
});

describe('Node.js handlers', { concurrency: true }, () => {
  it('runs a CommonJS handler from a .js file', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event) => ({ kind: typeof module, echo: event });`,
    });
    const res = await tracked.engine.invoke(nodeFunction('cjs-js', codeDir), { payload: '{"a":1}' });
    ok(res);
    assert.deepEqual(json(res), { kind: 'object', echo: { a: 1 } });
    assert.equal(res.contentType, 'application/json');
  });

  it('runs a CommonJS handler from a .cjs file', async () => {
    const codeDir = await harness.app({
      'package.json': '{"type":"module"}',
      'app.cjs': `module.exports.handler = async () => ({ format: typeof require === 'function' ? 'cjs' : 'esm' });`,
    });
    const res = await tracked.engine.invoke(nodeFunction('cjs-cjs', codeDir, { handler: 'app.handler' }), { payload: '{}' });
    ok(res);
    assert.deepEqual(json(res), { format: 'cjs' });
  });

  it('runs an ES module handler from a .mjs file', async () => {
    const codeDir = await harness.app({
      'index.mjs': `export const handler = async (event) => ({ format: typeof require === 'undefined' ? 'esm' : 'cjs', url: import.meta.url.startsWith('file:') });`,
    });
    const res = await tracked.engine.invoke(nodeFunction('esm-mjs', codeDir), { payload: '{}' });
    ok(res);
    assert.deepEqual(json(res), { format: 'esm', url: true });
  });

  it('runs a .js ES module handler under "type": "module"', async () => {
    const codeDir = await harness.app({
      'package.json': '{"type":"module"}',
      'index.js': `const answer = await Promise.resolve(42);\nexport async function handler() { return { answer, format: typeof require === 'undefined' ? 'esm' : 'cjs' }; }`,
    });
    const res = await tracked.engine.invoke(nodeFunction('esm-js', codeDir), { payload: '{}' });
    ok(res);
    assert.deepEqual(json(res), { answer: 42, format: 'esm' });
  });

  it('resolves a nested handler path src/api/users.handler', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async () => 'wrong module';`,
      'src/api/users.js': `const lib = require('../lib/names.js');\nexports.handler = async () => ({ users: lib.names });`,
      'src/lib/names.js': `exports.names = ['ada', 'grace'];`,
    });
    const res = await tracked.engine.invoke(nodeFunction('nested', codeDir, { handler: 'src/api/users.handler' }), {
      payload: '{}',
    });
    ok(res);
    assert.deepEqual(json(res), { users: ['ada', 'grace'] });
  });

  it('awaits an async handler', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event) => { await new Promise((r) => setTimeout(r, 20)); return { doubled: event.n * 2 }; };`,
    });
    const res = await tracked.engine.invoke(nodeFunction('async', codeDir), { payload: '{"n":21}' });
    ok(res);
    assert.deepEqual(json(res), { doubled: 42 });
  });

  it('returns what a callback handler passes to its callback', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = (event, context, callback) => { setImmediate(() => callback(null, { via: 'callback', n: event.n })); };`,
    });
    const res = await tracked.engine.invoke(nodeFunction('callback', codeDir), { payload: '{"n":7}' });
    ok(res);
    assert.deepEqual(json(res), { via: 'callback', n: 7 });
  });

  it('reports the error a callback handler passes without waiting for the event loop', async () => {
    // The pending timer outlives the 2 s timeout: a runtime that waited would time out instead.
    const codeDir = await harness.app({
      'index.js': `exports.handler = (event, context, callback) => { setTimeout(() => {}, 5000); callback(new RangeError('out of range')); };`,
    });
    const res = await tracked.engine.invoke(nodeFunction('callback-error', codeDir, { timeoutS: 2 }), { payload: '{}' });
    assert.equal(res.error?.errorType, 'RangeError');
    assert.equal(res.error?.errorMessage, 'out of range');
  });

  it('answers a callback handler only once the event loop is empty when callbackWaitsForEmptyEventLoop is true', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = (event, context, callback) => {
  const result = { timerFired: false, flag: context.callbackWaitsForEmptyEventLoop };
  setTimeout(() => { result.timerFired = true; }, 300);
  callback(null, result);
};`,
    });
    const res = await tracked.engine.invoke(nodeFunction('wait-loop', codeDir), { payload: '{}' });
    ok(res);
    assert.deepEqual(json(res), { timerFired: true, flag: true });
    assert.ok(res.durationMs >= 290, `answered after ${res.durationMs} ms, before the timer`);
  });

  it('answers a callback handler at once when callbackWaitsForEmptyEventLoop is false', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  const result = { timerFired: false };
  setTimeout(() => { result.timerFired = true; }, 5000);
  callback(null, result);
};`,
    });
    const res = await tracked.engine.invoke(nodeFunction('no-wait-loop', codeDir, { timeoutS: 2 }), { payload: '{}' });
    ok(res);
    assert.deepEqual(json(res), { timerFired: false });
  });

  it('supports the legacy context.succeed, context.fail and context.done without waiting for the event loop', async () => {
    const codeDir = await harness.app({
      'index.js': `
const pending = () => setTimeout(() => {}, 5000);
exports.succeed = (event, context) => { pending(); context.succeed({ via: 'succeed' }); };
exports.fail = (event, context) => { pending(); context.fail(new Error('legacy failure')); };
exports.failEmpty = (event, context) => { context.fail(); };
exports.done = (event, context) => { pending(); context.done(null, { via: 'done' }); };
exports.doneError = (event, context) => { context.done(new TypeError('done with error')); };`,
    });
    const run = (handler: string) =>
      tracked.engine.invoke(nodeFunction(`legacy-${handler}`, codeDir, { handler: `index.${handler}`, timeoutS: 2 }), {
        payload: '{}',
      });
    const [succeed, fail, failEmpty, done, doneError] = await Promise.all(
      ['succeed', 'fail', 'failEmpty', 'done', 'doneError'].map(run),
    );
    ok(succeed!);
    assert.deepEqual(json(succeed!), { via: 'succeed' });
    assert.deepEqual([fail!.error?.errorType, fail!.error?.errorMessage], ['Error', 'legacy failure']);
    assert.deepEqual([failEmpty!.error?.errorType, failEmpty!.error?.errorMessage], ['string', 'handled']);
    ok(done!);
    assert.deepEqual(json(done!), { via: 'done' });
    assert.deepEqual([doneError!.error?.errorType, doneError!.error?.errorMessage], ['TypeError', 'done with error']);
  });

  it('gives the handler the full context object', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remaining: context.getRemainingTimeInMillis(),
  callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
  identity: context.identity,
  clientContext: context.clientContext,
  traceId: process.env._X_AMZN_TRACE_ID,
});`,
    });
    const identity = { cognitoIdentityId: 'us-east-1:abc', cognitoIdentityPoolId: 'us-east-1:pool' };
    const clientContext = { client: { installation_id: 'i-1', app_title: 'shop' }, custom: { tier: 'gold' }, env: { locale: 'en' } };
    const res = await tracked.engine.invoke(nodeFunction('ctx-fn', codeDir, { memoryMB: 256, timeoutS: 5 }), {
      payload: '{}',
      identity: JSON.stringify(identity),
      clientContext: JSON.stringify(clientContext),
    });
    ok(res);
    const context = json(res);
    assert.equal(context.awsRequestId, res.requestId);
    assert.equal(context.functionName, 'ctx-fn');
    assert.equal(context.functionVersion, '$LATEST');
    assert.equal(context.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:ctx-fn');
    assert.equal(context.memoryLimitInMB, '256');
    assert.equal(context.logGroupName, '/aws/lambda/ctx-fn');
    assert.match(context.logStreamName, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]+$/);
    assert.ok(context.remaining > 0 && context.remaining <= 5000, `remaining ${context.remaining} ms`);
    assert.equal(context.callbackWaitsForEmptyEventLoop, true);
    assert.deepEqual(context.identity, identity);
    assert.deepEqual(context.clientContext, clientContext);
    assert.match(context.traceId, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  });

  it('reports a thrown Error with its type, message and stack trace', async () => {
    const codeDir = await harness.app({
      'index.js': `class ValidationError extends Error { constructor(m) { super(m); this.name = 'ValidationError'; } }
exports.handler = async (event) => { throw new ValidationError('quantity must be positive, got ' + event.quantity); };`,
    });
    const res = await tracked.engine.invoke(nodeFunction('throws', codeDir), { payload: '{"quantity":-1}' });
    assert.equal(res.error?.errorType, 'ValidationError');
    assert.equal(res.error?.errorMessage, 'quantity must be positive, got -1');
    assert.ok(res.error?.stackTrace?.some((line) => line.includes('index.js')), JSON.stringify(res.error?.stackTrace));
    const body = json(res);
    assert.equal(body.errorType, 'ValidationError');
    assert.ok(Array.isArray(body.trace), 'the payload carries the trace as AWS Node runtimes send it');
  });

  it('reports thrown non-Error values (NaN, a string, null) as results', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.nan = async () => { throw NaN; };\nexports.text = async () => { throw 'just a string'; };\nexports.nothing = async () => { throw null; };`,
    });
    const run = (handler: string) =>
      tracked.engine.invoke(nodeFunction(`throw-${handler}`, codeDir, { handler: `index.${handler}` }), { payload: '{}' });
    const [nan, text, nothing] = await Promise.all([run('nan'), run('text'), run('nothing')]);
    assert.deepEqual({ ...nan.error }, { errorType: 'number', errorMessage: 'NaN', stackTrace: [] });
    assert.deepEqual({ ...text.error }, { errorType: 'string', errorMessage: 'just a string', stackTrace: [] });
    // AWS's runtime fails a promise rejected with nothing as context.fail() does: 'handled'.
    assert.deepEqual({ ...nothing.error }, { errorType: 'string', errorMessage: 'handled', stackTrace: [] });
  });

  it('buffers an awslambda.streamifyResponse body with its content type', async () => {
    const codeDir = await harness.app({
      'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('text/plain; charset=utf-8');
  responseStream.write('hello ');
  await new Promise((r) => setTimeout(r, 5));
  responseStream.write(Buffer.from('streamed world'));
  responseStream.end();
});`,
    });
    const res = await tracked.engine.invoke(nodeFunction('stream', codeDir), { payload: '{}' });
    ok(res);
    assert.equal(res.contentType, 'text/plain; charset=utf-8');
    assert.equal(res.payload.toString('utf8'), 'hello streamed world');
  });

  it('sends the HttpResponseStream.from prelude before the streamed body', async () => {
    const codeDir = await harness.app({
      'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const http = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'x-made-by': 'laambda' } });
  http.write('created');
  http.end();
});`,
    });
    const res = await tracked.engine.invoke(nodeFunction('stream-http', codeDir), { payload: '{}' });
    ok(res);
    assert.equal(res.contentType, 'application/vnd.awslambda.http-integration-response');
    const prelude = JSON.stringify({ statusCode: 201, headers: { 'x-made-by': 'laambda' } });
    assert.deepEqual(res.payload, Buffer.concat([Buffer.from(prelude), Buffer.alloc(8), Buffer.from('created')]));
  });

  it('runs module initialisation once per environment', async () => {
    const codeDir = await harness.app({
      'index.js': `let inits = 0;\ninits += 1;\nlet calls = 0;\nexports.handler = async () => ({ inits, calls: ++calls, pid: process.pid });`,
    });
    const spec = nodeFunction('init-once', codeDir);
    const first = await tracked.engine.invoke(spec, { payload: '{}' });
    const second = await tracked.engine.invoke(spec, { payload: '{}' });
    assert.deepEqual(
      [json(first), json(second)],
      [
        { inits: 1, calls: 1, pid: json(first).pid },
        { inits: 1, calls: 2, pid: json(first).pid },
      ],
    );
    assert.deepEqual([first.coldStart, second.coldStart], [true, false]);
  });

  it('gives the function exactly the Lambda variables and its own, nothing from the platform', async () => {
    const codeDir = await harness.app({ 'index.js': `exports.handler = async () => process.env;` });
    const res = await tracked.engine.invoke(
      nodeFunction('env-exact', codeDir, { environment: { GREETING: 'hello', TABLE_NAME: 'orders' } }),
      { payload: '{}' },
    );
    ok(res);
    const env = json(res) as Record<string, string>;
    assert.deepEqual(Object.keys(env).sort(), [
      'AWS_ACCESS_KEY_ID',
      'AWS_DEFAULT_REGION',
      'AWS_EXECUTION_ENV',
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
      'GREETING',
      'LAMBDA_RUNTIME_DIR',
      'LAMBDA_TASK_ROOT',
      'LANG',
      'LD_LIBRARY_PATH',
      'NODE_PATH',
      'PATH',
      'TABLE_NAME',
      'TMPDIR',
      'TZ',
      '_HANDLER',
      '_X_AMZN_TRACE_ID',
    ]);
    assert.equal(env[HOST_ONLY], undefined);
    assert.equal(env.GREETING, 'hello');
    assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, 'env-exact');
    assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '128');
    assert.equal(env.AWS_LAMBDA_INITIALIZATION_TYPE, 'on-demand');
    assert.equal(env.AWS_REGION, 'us-east-1');
    assert.match(env.AWS_EXECUTION_ENV!, /^AWS_Lambda_nodejs\d+\.x$/);
    assert.equal(env._HANDLER, 'index.handler');
    assert.equal(env.LAMBDA_TASK_ROOT, codeDir);
    assert.equal(env.TZ, ':UTC');
    assert.match(env.AWS_LAMBDA_RUNTIME_API!, /^127\.0\.0\.1:\d+$/);
  });

  it('gives each environment its own writable TMPDIR, removed with the environment', async () => {
    const barrier = await harness.dir('laambda-barrier-');
    const codeDir = await harness.app({
      'index.js': `${COORDINATION_CJS}
const os = require('node:os');
exports.handler = async (event) => {
  const file = coordinationPath.join(os.tmpdir(), 'probe.txt');
  coordinationFs.writeFileSync(file, 'mine: ' + process.pid);
  await arrive(event.barrier, 2);
  return { tmp: os.tmpdir(), read: coordinationFs.readFileSync(file, 'utf8'), pid: process.pid };
};`,
    });
    const spec = nodeFunction('tmpdir', codeDir, { concurrency: 2 });
    const payload = JSON.stringify({ barrier });
    const results = await Promise.all([
      tracked.engine.invoke(spec, { payload }),
      tracked.engine.invoke(spec, { payload }),
    ]);
    const [a, b] = results.map((res) => (ok(res), json(res)));
    assert.notEqual(a.pid, b.pid, 'two environments ran at once');
    assert.notEqual(a.tmp, b.tmp);
    assert.equal(a.read, `mine: ${a.pid}`);
    assert.equal(b.read, `mine: ${b.pid}`);
    for (const tmp of [a.tmp, b.tmp]) {
      assert.ok(tmp.startsWith(tracked.dataDir + path.sep), `${tmp} lies under the engine's data dir`);
    }
    await tracked.engine.retire('tmpdir');
    assert.deepEqual([existsSync(a.tmp), existsSync(b.tmp)], [false, false]);
  });
});

describe('Node.js failures', { concurrency: true }, () => {
  it('reports Runtime.ImportModuleError when the handler file is missing', async () => {
    const codeDir = await harness.app({ 'index.js': `exports.handler = async () => 1;` });
    const res = await tracked.engine.invoke(nodeFunction('no-file', codeDir, { handler: 'nothere.handler' }), {
      payload: '{}',
    });
    assert.equal(res.error?.errorType, 'Runtime.ImportModuleError');
    assert.match(res.error.errorMessage, /Cannot find module 'nothere'/);
    assert.equal(res.coldStart, true, 'a failed init is still a cold start');
  });

  it('reports Runtime.ImportModuleError when a dependency of the module is missing', async () => {
    const codeDir = await harness.app({
      'index.js': `const pad = require('left-pad-that-is-not-installed');\nexports.handler = async () => pad('x', 3);`,
      'esm.mjs': `import pad from 'left-pad-that-is-not-installed';\nexport const handler = async () => pad('x', 3);`,
    });
    const [cjs, esm] = await Promise.all([
      tracked.engine.invoke(nodeFunction('no-dep-cjs', codeDir), { payload: '{}' }),
      tracked.engine.invoke(nodeFunction('no-dep-esm', codeDir, { handler: 'esm.handler' }), { payload: '{}' }),
    ]);
    for (const res of [cjs, esm]) {
      assert.equal(res.error?.errorType, 'Runtime.ImportModuleError');
      assert.match(res.error.errorMessage, /left-pad-that-is-not-installed/);
    }
  });

  it('reports Runtime.HandlerNotFound when the export is missing', async () => {
    const codeDir = await harness.app({ 'index.js': `exports.other = async () => 1;\nexports.notFn = 42;` });
    const [missing, notFunction] = await Promise.all([
      tracked.engine.invoke(nodeFunction('no-export', codeDir), { payload: '{}' }),
      tracked.engine.invoke(nodeFunction('not-fn', codeDir, { handler: 'index.notFn' }), { payload: '{}' }),
    ]);
    assert.deepEqual(
      [missing.error?.errorType, missing.error?.errorMessage],
      ['Runtime.HandlerNotFound', 'index.handler is undefined or not exported'],
    );
    assert.equal(notFunction.error?.errorType, 'Runtime.HandlerNotFound');
  });

  it('reports Runtime.UserCodeSyntaxError for a module that does not parse', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async () => {\n  return { unbalanced: true ;\n};`,
      'broken.mjs': `export const handler = async () => {{;`,
    });
    const [cjs, esm] = await Promise.all([
      tracked.engine.invoke(nodeFunction('syntax-cjs', codeDir), { payload: '{}' }),
      tracked.engine.invoke(nodeFunction('syntax-esm', codeDir, { handler: 'broken.handler' }), { payload: '{}' }),
    ]);
    for (const res of [cjs, esm]) {
      assert.equal(res.error?.errorType, 'Runtime.UserCodeSyntaxError');
      assert.match(res.error.errorMessage, /SyntaxError/);
    }
  });

  it('reports an error thrown while the module initialises with its own type', async () => {
    const codeDir = await harness.app({
      'index.js': `throw new TypeError('cannot start without DB_URL');\nexports.handler = async () => 1;`,
    });
    const res = await tracked.engine.invoke(nodeFunction('init-throws', codeDir), { payload: '{}' });
    assert.deepEqual([res.error?.errorType, res.error?.errorMessage], ['TypeError', 'cannot start without DB_URL']);
  });

  for (const code of [1, 0]) {
    it(`reports Runtime.ExitError on process.exit(${code}) mid-invocation, keeps its last output and starts fresh`, async () => {
      const codeDir = await harness.app({
        'index.js': `exports.handler = async (event) => {
  if (event.exit !== undefined) {
    console.log('leaving with ' + event.exit);
    process.stdout.write('x'.repeat(200000) + '\\n');
    process.exit(event.exit);
  }
  return { pid: process.pid };
};`,
      });
      const spec = nodeFunction(`exit-${code}`, codeDir);
      const warm = await tracked.engine.invoke(spec, { payload: '{}' });
      ok(warm);
      const res = await tracked.engine.invoke(spec, { payload: JSON.stringify({ exit: code }) });
      assert.equal(res.error?.errorType, 'Runtime.ExitError');
      const reason = code === 0 ? 'Runtime exited without providing a reason' : 'Runtime exited with error: exit status 1';
      assert.equal(res.error.errorMessage, `RequestId: ${res.requestId} Error: ${reason}`);
      const stdout = tracked.linesOf(res.requestId).filter((record) => record.stream === 'stdout');
      assert.match(stdout[0]?.line ?? '', new RegExp(`\\tINFO\\tleaving with ${code}$`));
      assert.equal(stdout[1]?.line, 'x'.repeat(200000), 'output written just before exit is not lost');
      const next = await tracked.engine.invoke(spec, { payload: '{}' });
      ok(next);
      assert.equal(next.coldStart, true);
      assert.notEqual(json(next).pid, json(warm).pid);
    });
  }

  it('reports Runtime.UnhandledPromiseRejection and starts fresh next time', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event) => {
  if (event.reject) {
    Promise.reject(new Error('nobody catches me'));
    await new Promise((r) => setTimeout(r, 5000));
  }
  return { pid: process.pid };
};`,
    });
    const spec = nodeFunction('unhandled', codeDir);
    const res = await tracked.engine.invoke(spec, { payload: '{"reject":true}' });
    assert.equal(res.error?.errorType, 'Runtime.UnhandledPromiseRejection');
    assert.equal(res.error.errorMessage, 'Error: nobody catches me');
    const next = await tracked.engine.invoke(spec, { payload: '{}' });
    ok(next);
    assert.equal(next.coldStart, true);
  });

  it('reports an uncaught exception thrown from a setTimeout and starts fresh next time', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event) => {
  if (event.boom) {
    setTimeout(() => { throw new TypeError('late boom'); }, 10);
    await new Promise((r) => setTimeout(r, 5000));
  }
  return { pid: process.pid };
};`,
    });
    const spec = nodeFunction('uncaught', codeDir);
    const res = await tracked.engine.invoke(spec, { payload: '{"boom":true}' });
    assert.deepEqual([res.error?.errorType, res.error?.errorMessage], ['TypeError', 'late boom']);
    const next = await tracked.engine.invoke(spec, { payload: '{}' });
    ok(next);
    assert.equal(next.coldStart, true);
  });
});

describe('invocation logs', { concurrency: true }, () => {
  const REPORT = /^REPORT RequestId: (\S+)\tDuration: (\d+\.\d{2}) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB(?:\tInit Duration: (\d+\.\d{2}) ms)?$/;

  it('logs START, END and REPORT with the request id, Init Duration only on a cold start', async () => {
    const codeDir = await harness.app({ 'index.js': `exports.handler = async () => 'ok';` });
    const spec = nodeFunction('log-lines', codeDir, { memoryMB: 256 });
    const cold = await tracked.engine.invoke(spec, { payload: '{}' });
    const warm = await tracked.engine.invoke(spec, { payload: '{}' });
    for (const res of [cold, warm]) {
      const platform = tracked.linesOf(res.requestId).filter((record) => record.stream === 'platform');
      assert.deepEqual(
        platform.map((record) => record.line.split(/[ \t]/).slice(0, 3).join(' ')),
        [`START RequestId: ${res.requestId}`, `END RequestId: ${res.requestId}`, `REPORT RequestId: ${res.requestId}`],
      );
      assert.equal(platform[0]!.line, `START RequestId: ${res.requestId} Version: $LATEST`);
      const report = REPORT.exec(platform[2]!.line);
      assert.ok(report, `REPORT line has Lambda's shape: ${platform[2]!.line}`);
      const [, id, duration, billed, size, used, init] = report;
      assert.equal(id, res.requestId);
      assert.equal(Number(billed), Math.ceil(Number(duration)), 'Billed Duration is Duration rounded up');
      assert.equal(Number(billed), res.billedDurationMs);
      assert.equal(Number(size), 256);
      assert.equal(Number(used), res.maxMemoryUsedMB);
      assert.ok(Number(used) > 10 && Number(used) < 256, `Max Memory Used ${used} MB is measured`);
      assert.equal(init !== undefined, res.coldStart);
      for (const record of platform) assert.equal(record.functionName, 'log-lines');
    }
    assert.deepEqual([cold.coldStart, warm.coldStart], [true, false]);
    assert.ok(cold.initDurationMs! > 0);
    assert.equal(warm.initDurationMs, undefined);
  });

  it('captures whole stdout and stderr lines tagged with the request id', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async () => {
  process.stdout.write('first half, ');
  await new Promise((r) => setTimeout(r, 20));
  process.stdout.write('second half\\nanother line\\n');
  console.log('console says %s', 'hi');
  console.error('something went wrong');
  process.stdout.write('x'.repeat(100000) + '\\n');
  return 'done';
};`,
    });
    const res = await tracked.engine.invoke(nodeFunction('log-capture', codeDir), { payload: '{}' });
    ok(res);
    const lines = tracked.linesOf(res.requestId);
    const stdout = lines.filter((record) => record.stream === 'stdout').map((record) => record.line);
    const stderr = lines.filter((record) => record.stream === 'stderr').map((record) => record.line);
    assert.equal(stdout[0], 'first half, second half');
    assert.equal(stdout[1], 'another line');
    assert.match(stdout[2]!, new RegExp(`^\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\t${res.requestId}\\tINFO\\tconsole says hi$`));
    assert.equal(stdout[3], 'x'.repeat(100000));
    assert.equal(stdout.length, 4);
    assert.equal(stderr.length, 1);
    assert.match(stderr[0]!, new RegExp(`\\t${res.requestId}\\tERROR\\tsomething went wrong$`));
    // Function lines come between START and END.
    const order = lines.map((record) => record.line.slice(0, 5));
    assert.equal(order[0], 'START');
    assert.deepEqual(order.slice(-2), ['END R', 'REPOR']);
  });

  it('returns at most the last 4 KB of the log as the tail, ending with END and REPORT', async () => {
    const codeDir = await harness.app({
      'index.js': `exports.handler = async (event) => { for (let i = 0; i < event.lines; i++) console.log('line ' + i + ' ' + '.'.repeat(60)); return 'ok'; };`,
    });
    const spec = nodeFunction('log-tail', codeDir);
    const short = await tracked.engine.invoke(spec, { payload: '{"lines":2}', logTail: true });
    const long = await tracked.engine.invoke(spec, { payload: '{"lines":500}', logTail: true });
    const none = await tracked.engine.invoke(spec, { payload: '{"lines":1}' });
    assert.equal(none.logTail, undefined, 'no tail unless asked');

    const shortLines = short.logTail!.trimEnd().split('\n');
    assert.equal(shortLines[0], `START RequestId: ${short.requestId} Version: $LATEST`);
    assert.match(shortLines[1]!, /\tINFO\tline 0 /);
    assert.equal(shortLines.at(-2), `END RequestId: ${short.requestId}`);
    assert.match(shortLines.at(-1)!, new RegExp(`^REPORT RequestId: ${short.requestId}\\t`));

    assert.ok(Buffer.byteLength(long.logTail!) <= 4096, `${Buffer.byteLength(long.logTail!)} bytes`);
    assert.ok(Buffer.byteLength(long.logTail!) > 3500, 'the tail is filled up to the limit');
    assert.match(long.logTail!, /line 499 /);
    assert.doesNotMatch(long.logTail!, /line 0 /);
    assert.match(long.logTail!, new RegExp(`END RequestId: ${long.requestId}\\nREPORT RequestId: ${long.requestId}\\t[^\\n]*\\n$`));
  });
});
