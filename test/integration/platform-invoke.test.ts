// The real @aws-sdk/client-lambda against `laambda server`'s AWS endpoint, with keys from
// `keys:create`: sync, Tail logs, function errors, unknown functions, throttles, Qualifier,
// Event, and signatures that must be refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ServerHarness } from '../support/server.ts';

const HANDLERS = `
exports.echo = async (event, context) => ({ event, version: context.functionVersion, arn: context.invokedFunctionArn });
exports.fail = async () => { console.log('about to fail'); throw new TypeError('no such order'); };
// Holds until the test's gate answers: an invocation in flight without sleeping.
exports.hold = async () => { const reply = await fetch(process.env.GATE_URL); return { gate: await reply.text() }; };
exports.record = async (event) => { await fetch(process.env.GATE_URL + '/record', { method: 'POST', body: JSON.stringify(event) }); return 'ok'; };
`;

function client(endpoint: string, accessKeyId: string, secretAccessKey: string): LambdaClient {
  return new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}

const invoke = (lambda: LambdaClient, input: Omit<ConstructorParameters<typeof InvokeCommand>[0], 'FunctionName'> & { FunctionName: string }) =>
  lambda.send(new InvokeCommand(input));

describe('Invoke API of laambda server with @aws-sdk/client-lambda', () => {
  let harness: ServerHarness;
  let appDir: string;
  let gate: http.Server;
  const held: http.ServerResponse[] = [];
  const waiters: Array<() => void> = [];
  const recorded: unknown[] = [];
  let lambda: LambdaClient;
  let key: { accessKeyId: string; secretAccessKey: string; endpointUrl: string; region: string };

  const heldCount = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (held.length >= n ? resolve() : waiters.push(check));
      check();
    });

  before(async () => {
    gate = http.createServer((req, res) => {
      if (req.url === '/record') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        req.on('end', () => {
          recorded.push(JSON.parse(body));
          res.end();
          for (const wake of waiters.splice(0)) wake();
        });
        return;
      }
      held.push(res);
      for (const wake of waiters.splice(0)) wake();
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    harness = await ServerHarness.start();
    appDir = mkdtempSync(path.join(os.tmpdir(), 'laambda-invoke-app-'));
    writeFileSync(path.join(appDir, 'Procfile'), 'echo: index.echo\nfail: index.fail\nhold: index.hold\nrecord: index.record\n');
    writeFileSync(path.join(appDir, 'package.json'), '{"name":"orders","private":true}\n');
    writeFileSync(path.join(appDir, 'index.js'), HANDLERS);
    for (const name of ['orders', 'other']) assert.equal((await harness.api('POST', '/apps', { name })).status, 201);
    await harness.deployOk('orders', appDir);
    await harness.deployOk('other', appDir);
    await harness.api('PATCH', '/apps/orders/config', { GATE_URL: `http://127.0.0.1:${(gate.address() as AddressInfo).port}` });
    const created = await harness.api('POST', '/apps/orders/keys');
    assert.equal(created.status, 201);
    key = created.body;
    assert.equal(key.endpointUrl, harness.server.awsUrl);
    lambda = client(key.endpointUrl, key.accessKeyId, key.secretAccessKey);
  });

  after(async () => {
    lambda.destroy();
    for (const res of held) res.end('released');
    await harness.dispose();
    gate.close();
    rmSync(appDir, { recursive: true, force: true });
  });

  it('invokes synchronously and returns the result with the executed version', async () => {
    const out = await invoke(lambda, { FunctionName: 'orders-echo', Payload: Buffer.from(JSON.stringify({ id: 7 })) });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.ExecutedVersion, '2');
    const result = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
    assert.deepEqual(result.event, { id: 7 });
    assert.equal(result.arn, 'arn:aws:lambda:us-east-1:000000000000:function:orders-echo:2');
  });

  it('reports function errors with Tail logs', async () => {
    const out = await invoke(lambda, { FunctionName: 'orders-fail', LogType: 'Tail' });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    const error = JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'));
    assert.equal(error.errorType, 'TypeError');
    assert.equal(error.errorMessage, 'no such order');
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.match(log, /about to fail/);
    assert.match(log, /REPORT RequestId/);
  });

  it('selects a release with Qualifier and refuses unknown versions and functions', async () => {
    const v1 = await invoke(lambda, { FunctionName: 'orders-echo', Qualifier: '1', Payload: Buffer.from('{}') });
    assert.equal(v1.ExecutedVersion, '1');
    await assert.rejects(invoke(lambda, { FunctionName: 'orders-echo', Qualifier: '42' }), { name: 'ResourceNotFoundException' });
    await assert.rejects(invoke(lambda, { FunctionName: 'orders-nope' }), (error: Error) => {
      assert.equal(error.name, 'ResourceNotFoundException');
      assert.match(error.message, /arn:aws:lambda:us-east-1:000000000000:function:orders-nope/);
      return true;
    });
  });

  it("does not let one app's key invoke another app's functions", async () => {
    await assert.rejects(invoke(lambda, { FunctionName: 'other-echo' }), { name: 'ResourceNotFoundException' });
  });

  it('throttles over the concurrency limit with TooManyRequestsException', async () => {
    assert.equal((await harness.api('PATCH', '/apps/orders/functions/hold', { concurrency: 1 })).status, 200);
    const first = invoke(lambda, { FunctionName: 'orders-hold' });
    await heldCount(1);
    await assert.rejects(invoke(lambda, { FunctionName: 'orders-hold' }), { name: 'TooManyRequestsException' });
    held.shift()?.end('released');
    const out = await first;
    assert.deepEqual(JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')), { gate: 'released' });
  });

  it('accepts Event invocations with 202 and runs them in the background', async () => {
    const out = await invoke(lambda, { FunctionName: 'orders-record', InvocationType: 'Event', Payload: Buffer.from('{"order":42}') });
    assert.equal(out.StatusCode, 202);
    await new Promise<void>((resolve) => {
      const check = () => (recorded.length > 0 ? resolve() : waiters.push(check));
      check();
    });
    assert.deepEqual(recorded, [{ order: 42 }]);
  });

  it('refuses a wrong signature and an unknown key', async () => {
    // Change the last character (to one it is not) so the secret is wrong whatever it was.
    const forged = client(key.endpointUrl, key.accessKeyId, `${key.secretAccessKey.slice(0, -1)}${key.secretAccessKey.endsWith('x') ? 'y' : 'x'}`);
    await assert.rejects(invoke(forged, { FunctionName: 'orders-echo' }), { name: 'InvalidSignatureException' });
    const unknown = client(key.endpointUrl, 'AKIAUNKNOWNUNKNOWN00', key.secretAccessKey);
    await assert.rejects(invoke(unknown, { FunctionName: 'orders-echo' }), { name: 'UnrecognizedClientException' });
    forged.destroy();
    unknown.destroy();
  });
});
