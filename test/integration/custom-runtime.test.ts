// `provided` functions: an executable bootstrap that speaks the Lambda Runtime API itself, here
// plain shell and curl, as the AWS custom-runtime tutorial writes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { FunctionSpec } from '../../src/runtime/index.ts';
import { EngineHarness, json, ok, type TrackedEngine } from '../support/engine.ts';

const harness = new EngineHarness();
let tracked: TrackedEngine;

before(async () => {
  tracked = await harness.engine();
});

after(() => harness.cleanup());

function provided(name: string, codeDir: string): FunctionSpec {
  return { name, codeDir, handler: 'function.handler', runtime: 'provided', timeoutS: 10 };
}

const executable = (content: string) => ({ content, mode: 0o755 });

/** The shared top of every bootstrap: the API base and a headers file in the environment's TMPDIR. */
const PRELUDE = `#!/bin/sh
set -eu
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HEADERS="$(mktemp)"
next() {
  EVENT="$(curl -sS -D "$HEADERS" "$API/invocation/next")"
  REQUEST_ID="$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d: -f2 | tr -d ' \\r\\n')"
}
`;

describe('custom runtimes (provided)', { concurrency: true }, () => {
  it('returns the result a curl bootstrap posts to /invocation/ID/response, and stays warm', async () => {
    const codeDir = await harness.app({
      bootstrap: executable(`${PRELUDE}
COUNT=0
while true; do
  next
  COUNT=$((COUNT + 1))
  curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/response" \\
    -H 'Content-Type: application/json' \\
    -d "{\\"echo\\":$EVENT,\\"requestId\\":\\"$REQUEST_ID\\",\\"handler\\":\\"$_HANDLER\\",\\"count\\":$COUNT,\\"pid\\":$$}"
done
`),
    });
    const spec = provided('curl-echo', codeDir);
    const first = await tracked.engine.invoke(spec, { payload: '{"hello":"shell"}' });
    ok(first);
    const body = json(first);
    assert.deepEqual(body.echo, { hello: 'shell' });
    assert.equal(body.requestId, first.requestId);
    assert.equal(body.handler, 'function.handler');
    assert.equal(first.contentType, 'application/json');
    assert.equal(first.coldStart, true);

    const second = await tracked.engine.invoke(spec, { payload: '[1,2]' });
    ok(second);
    assert.equal(second.coldStart, false);
    assert.deepEqual(json(second), { ...body, echo: [1, 2], requestId: second.requestId, count: 2 });
    const report = tracked.linesOf(second.requestId).find((record) => record.line.startsWith('REPORT'));
    assert.match(report?.line ?? '', /\tMax Memory Used: \d+ MB$/);
  });

  it('reports the error a bootstrap posts to /invocation/ID/error and keeps the environment', async () => {
    const codeDir = await harness.app({
      bootstrap: executable(`${PRELUDE}
while true; do
  next
  echo "refusing $REQUEST_ID" >&2
  curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/error" \\
    -H 'Lambda-Runtime-Function-Error-Type: Unhandled' \\
    -d '{"errorMessage":"the shell refused","errorType":"ShellRefusal","stackTrace":["bootstrap line 7"]}'
done
`),
    });
    const spec = provided('curl-error', codeDir);
    const res = await tracked.engine.invoke(spec, { payload: '{}' });
    assert.deepEqual({ ...res.error }, {
      errorType: 'ShellRefusal',
      errorMessage: 'the shell refused',
      stackTrace: ['bootstrap line 7'],
    });
    const again = await tracked.engine.invoke(spec, { payload: '{}' });
    assert.equal(again.error?.errorType, 'ShellRefusal');
    assert.equal(again.coldStart, false, 'a reported error does not cost the environment');
    const stderr = tracked.linesOf(res.requestId).filter((record) => record.stream === 'stderr');
    assert.ok(stderr.some((record) => record.line === `refusing ${res.requestId}`));
  });

  it('answers 400 to a result for another request id and keeps waiting for the right one', async () => {
    const codeDir = await harness.app({
      bootstrap: executable(`${PRELUDE}
post() { curl -sS -o /dev/null -w '%{http_code}' -X POST "$API/invocation/$1/response" -d '"misdirected"'; }
while true; do
  next
  WRONG="$(post "not-$REQUEST_ID")"
  MALFORMED="$(post '%E0%A4%A')"
  curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/response" -d "{\\"wrong\\":$WRONG,\\"malformed\\":$MALFORMED}"
done
`),
    });
    const res = await tracked.engine.invoke(provided('misdirected', codeDir), { payload: '{}' });
    ok(res);
    assert.deepEqual(json(res), { wrong: 400, malformed: 400 });
  });

  it('reports the error a bootstrap posts to /init/error', async () => {
    const codeDir = await harness.app({
      bootstrap: executable(`${PRELUDE}
curl -sS -o /dev/null -X POST "$API/init/error" \\
  -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigMissing' \\
  -d '{"errorMessage":"DATABASE_URL is not set","errorType":"Runtime.ConfigMissing"}'
exit 1
`),
    });
    const res = await tracked.engine.invoke(provided('curl-init-error', codeDir), { payload: '{}' });
    assert.deepEqual(
      [res.error?.errorType, res.error?.errorMessage],
      ['Runtime.ConfigMissing', 'DATABASE_URL is not set'],
    );
  });

  it('reports Runtime.ExitError when the bootstrap exits without a word', async () => {
    const codeDir = await harness.app({ bootstrap: executable('#!/bin/sh\necho "starting" \nexit 3\n') });
    const res = await tracked.engine.invoke(provided('exits', codeDir), { payload: '{}' });
    assert.equal(res.error?.errorType, 'Runtime.ExitError');
    assert.match(res.error.errorMessage, /Runtime exited with error: exit status 3$/);
  });

  it('gives a clear Runtime.InvalidEntrypoint error for a bootstrap that is not executable', async () => {
    const codeDir = await harness.app({ bootstrap: { content: '#!/bin/sh\nexit 0\n', mode: 0o644 } });
    const res = await tracked.engine.invoke(provided('not-executable', codeDir), { payload: '{}' });
    assert.equal(res.error?.errorType, 'Runtime.InvalidEntrypoint');
    assert.match(res.error.errorMessage, /bootstrap: permission denied/);
    assert.match(res.error.errorMessage, /chmod \+x/);
    assert.ok(res.error.errorMessage.includes(codeDir), 'the message names the file');
  });

  it('gives Runtime.InvalidEntrypoint when there is no bootstrap at all', async () => {
    const codeDir = await harness.app({ 'function.sh': 'echo hi\n' });
    const res = await tracked.engine.invoke(provided('no-bootstrap', codeDir), { payload: '{}' });
    assert.equal(res.error?.errorType, 'Runtime.InvalidEntrypoint');
    assert.match(res.error.errorMessage, /^Couldn't find valid bootstrap\(s\): \[.*\/bootstrap\]$/);
  });
});
