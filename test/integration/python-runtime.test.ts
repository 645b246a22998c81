import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { FunctionSpec } from '../../src/runtime/index.ts';
import { EngineHarness } from '../support/engine.ts';

const harness = new EngineHarness();
after(() => harness.cleanup());

function python(name: string, codeDir: string, extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return { name, codeDir, handler: 'app.handler', runtime: 'python', timeoutS: 10, ...extra };
}

const json = (payload: Buffer): any => JSON.parse(payload.toString('utf8'));

describe('python runtime', { concurrency: true }, () => {
  it('returns the handler result with the full context object, and reuses the warm environment', async () => {
    process.env.LAAMBDA_TEST_PLATFORM_SECRET = 'must-not-leak';
    const dir = await harness.app({
      'app.py': `
import os
count = 0
def handler(event, context):
    global count
    count += 1
    return {
        "event": event, "count": count,
        "request_id": context.aws_request_id, "name": context.function_name,
        "version": context.function_version, "arn": context.invoked_function_arn,
        "memory": int(context.memory_limit_in_mb), "group": context.log_group_name,
        "stream": context.log_stream_name, "remaining": context.get_remaining_time_in_millis(),
        "custom": context.client_context.custom if context.client_context else None,
        "identity": context.identity.cognito_identity_id if context.identity else None,
        "leak": os.environ.get("LAAMBDA_TEST_PLATFORM_SECRET"), "own": os.environ.get("GREETING"),
        "tmp": os.environ.get("TMPDIR"),
    }
`,
    });
    const { engine } = await harness.engine();
    const spec = python('py-context', dir, { memoryMB: 256, environment: { GREETING: 'hi' } });
    const first = await engine.invoke(spec, {
      payload: '{"a":1}',
      clientContext: JSON.stringify({ custom: { tenant: 't1' }, client: {}, env: {} }),
      identity: JSON.stringify({ cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' }),
    });
    assert.equal(first.error, undefined, first.payload.toString());
    const body = json(first.payload);
    assert.deepEqual(body.event, { a: 1 });
    assert.equal(body.request_id, first.requestId);
    assert.equal(body.name, 'py-context');
    assert.equal(body.version, '$LATEST');
    assert.match(body.arn, /^arn:aws:lambda:us-east-1:\d{12}:function:py-context$/);
    assert.equal(body.memory, 256);
    assert.equal(body.group, '/aws/lambda/py-context');
    assert.match(body.stream, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\]/);
    assert.ok(body.remaining > 0 && body.remaining <= 10_000);
    assert.deepEqual(body.custom, { tenant: 't1' });
    assert.equal(body.identity, 'id-1');
    assert.equal(body.leak, null);
    assert.equal(body.own, 'hi');
    assert.ok(body.tmp);
    assert.equal(first.coldStart, true);

    const second = await engine.invoke(spec, { payload: '{}' });
    assert.equal(json(second.payload).count, 2);
    assert.equal(second.coldStart, false);
  });

  it('runs a handler at a nested path', async () => {
    const dir = await harness.app({ 'src/api/users.py': 'def handler(event, context):\n    return "users"\n' });
    const { engine } = await harness.engine();
    const res = await engine.invoke(python('py-nested', dir, { handler: 'src/api/users.handler' }), { payload: '{}' });
    assert.equal(res.payload.toString(), '"users"');
  });

  it('reports a raised exception with errorType, errorMessage and a stackTrace list', async () => {
    const dir = await harness.app({ 'app.py': 'def handler(event, context):\n    raise ValueError("bad input")\n' });
    const { engine } = await harness.engine();
    const res = await engine.invoke(python('py-raise', dir), { payload: '{}' });
    assert.equal(res.error?.errorType, 'ValueError');
    assert.equal(res.error?.errorMessage, 'bad input');
    assert.ok(Array.isArray(json(res.payload).stackTrace));
    assert.match(json(res.payload).stackTrace.join(''), /app\.py", line 2, in handler/);
  });

  for (const [title, files, handler, errorType, message] of [
    ['a missing module', { 'other.py': '' }, 'app.handler', 'Runtime.ImportModuleError', /Unable to import module 'app'/],
    ['a missing dependency', { 'app.py': 'import not_installed_anywhere\n' }, 'app.handler', 'Runtime.ImportModuleError', /No module named 'not_installed_anywhere'/],
    ['a syntax error', { 'app.py': 'def handler(:\n' }, 'app.handler', 'Runtime.UserCodeSyntaxError', /Syntax error in module 'app'/],
    ['a missing handler', { 'app.py': 'x = 1\n' }, 'app.nope', 'Runtime.HandlerNotFound', /Handler 'nope' missing on module 'app'/],
  ] as const) {
    it(`reports ${errorType} for ${title}`, async () => {
      const dir = await harness.app(files);
      const { engine } = await harness.engine();
      const res = await engine.invoke(python(`py-init-${errorType.split('.')[1]}-${title.length}`, dir, { handler }), {
        payload: '{}',
      });
      assert.equal(res.error?.errorType, errorType, res.payload.toString());
      assert.match(res.error?.errorMessage ?? '', message);
    });
  }

  it('reports Runtime.ExitError when the handler calls sys.exit, and recovers on a fresh environment', async () => {
    const dir = await harness.app({
      'app.py': 'import sys\ndef handler(event, context):\n    if event.get("exit"):\n        sys.exit(3)\n    return "ok"\n',
    });
    const { engine } = await harness.engine();
    const spec = python('py-exit', dir);
    const res = await engine.invoke(spec, { payload: '{"exit":true}' });
    assert.equal(res.error?.errorType, 'Runtime.ExitError');
    assert.match(res.error?.errorMessage ?? '', /exit status 3/);
    const next = await engine.invoke(spec, { payload: '{}' });
    assert.equal(next.payload.toString(), '"ok"');
    assert.equal(next.coldStart, true);
  });

  it('times out a handler that sleeps past its timeout', async () => {
    const dir = await harness.app({ 'app.py': 'import time\ndef handler(event, context):\n    time.sleep(60)\n' });
    const { engine } = await harness.engine();
    const res = await engine.invoke(python('py-timeout', dir, { timeoutS: 1 }), { payload: '{}' });
    assert.equal(res.error?.errorType, 'Sandbox.Timedout');
    assert.match(res.error?.errorMessage ?? '', /Task timed out after 1\.00 seconds/);
  });

  it('tags print() and logging lines with the request id', async () => {
    const dir = await harness.app({
      'app.py': 'import logging\nlogging.getLogger().setLevel(logging.INFO)\ndef handler(event, context):\n    print("plain line")\n    logging.info("via logging")\n    return 1\n',
    });
    const tracked = await harness.engine();
    const res = await tracked.engine.invoke(python('py-logs', dir), { payload: '{}' });
    const lines = tracked.linesOf(res.requestId).map((record) => record.line);
    assert.ok(lines.includes('plain line'), lines.join('\n'));
    const logged = lines.find((line) => line.includes('via logging'));
    assert.ok(logged, lines.join('\n'));
    assert.match(logged, new RegExp(`^\\[INFO\\]\\t\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\t${res.requestId}\\tvia logging$`));
  });

  it('kills a handler that exceeds its memory with Runtime.OutOfMemory', async () => {
    const dir = await harness.app({
      'app.py': 'def handler(event, context):\n    hog = []\n    while True:\n        hog.append(bytearray(1024 * 1024))\n',
    });
    const { engine } = await harness.engine();
    const res = await engine.invoke(python('py-oom', dir, { memoryMB: 128 }), { payload: '{}' });
    assert.equal(res.error?.errorType, 'Runtime.OutOfMemory', res.payload.toString());
  });
});
