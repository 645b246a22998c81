import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { httpRoutesOf } from '../core/app.ts';
import { isLaambdaError } from '../core/errors.ts';
import { defaultAppName, findFunction, loadLocalApp } from './app.ts';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'laambda-app-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string | object>): void {
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
}

function loadError(code: string): string {
  try {
    loadLocalApp(dir);
  } catch (error) {
    assert.ok(isLaambdaError(error) && error.code === code, String(error));
    return error.message;
  }
  assert.fail('expected the app to be rejected');
}

describe('loadLocalApp', () => {
  it('loads a Procfile-only app: detected runtimes, no settings, the default routes', () => {
    write({ Procfile: 'hello: index.handler\nreport: jobs/report.main\n', 'index.js': '', 'package.json': '{}' });
    const app = loadLocalApp(dir);
    assert.equal(app.name, path.basename(dir));
    assert.equal(app.dir, dir);
    assert.deepEqual(app.http, { authorizers: {} });
    assert.deepEqual(app.functions[0], { name: 'hello', handler: 'index.handler', runtime: 'nodejs', environment: {} });
    assert.deepEqual(
      httpRoutesOf(app.functions[0]!).map((route) => route.route),
      ['ANY /hello', 'ANY /hello/{proxy+}'],
    );
  });

  it('merges laambda.json settings into the Procfile functions', () => {
    write({
      Procfile: 'hello: index.handler\nauthorize: auth.handler\n',
      'package.json': '{}',
      'laambda.json': {
        name: 'shop',
        http: { authorizers: { tokenAuth: { type: 'token', function: 'authorize' } } },
        functions: {
          hello: {
            memory: 512,
            timeout: 30,
            concurrency: 2,
            environment: { GREETING: 'hi' },
            url: true,
            events: [{ http: 'POST /hello', authorizer: 'tokenAuth' }],
          },
        },
      },
    });
    const app = loadLocalApp(dir);
    assert.equal(app.name, 'shop');
    assert.equal(app.http.authorizers.tokenAuth?.type, 'token');
    assert.deepEqual(findFunction(app, 'hello'), {
      name: 'hello',
      handler: 'index.handler',
      runtime: 'nodejs',
      memoryMB: 512,
      timeoutS: 30,
      concurrency: 2,
      environment: { GREETING: 'hi' },
      events: [{ kind: 'http', route: 'POST /hello', payloadVersion: '2.0', authorizer: 'tokenAuth' }],
      url: { authType: 'NONE' },
    });
    assert.equal(findFunction(app, 'authorize').events, undefined, 'no events key: the default routes');
  });

  it('takes the runtime from laambda.json over detection, and --runtime over both', () => {
    write({ Procfile: 'hello: index.handler\n', 'index.js': '', 'laambda.json': { functions: { hello: { runtime: 'provided' } } } });
    assert.equal(loadLocalApp(dir).functions[0]?.runtime, 'provided');
    assert.equal(loadLocalApp(dir, { runtime: 'python' }).functions[0]?.runtime, 'python');
  });

  it('says how to set the runtime when the files do not tell it', () => {
    write({ Procfile: 'hello: index.handler\n' });
    assert.match(loadError('ERR_APP_RUNTIME_UNKNOWN'), /set "runtime" in laambda\.json or pass --runtime/);
  });

  it('rejects a laambda.json function that is not in the Procfile, naming both files', () => {
    write({ Procfile: 'hello: index.handler\n', 'package.json': '{}', 'laambda.json': { functions: { helo: { memory: 256 } } } });
    const message = loadError('ERR_APP_MANIFEST_INVALID');
    assert.equal(
      message,
      `${path.join(dir, 'laambda.json')}: functions.helo: no function "helo" in ${path.join(dir, 'Procfile')} (functions: hello) (did you mean "hello"?)`,
    );
  });

  it('rejects an authorizer whose function is not in the Procfile', () => {
    write({
      Procfile: 'hello: index.handler\n',
      'package.json': '{}',
      'laambda.json': { http: { authorizers: { reqAuth: { type: 'request', function: 'authorize' } } } },
    });
    assert.match(loadError('ERR_APP_MANIFEST_INVALID'), /laambda\.json: http\.authorizers\.reqAuth\.function: no function "authorize" in .*Procfile/);
  });

  it('rejects a JWT authorizer whose jwksFile is missing', () => {
    const jwtAuth = { type: 'jwt', issuer: 'https://issuer.example.com', audience: ['api'], jwksFile: 'keys/jwks.json' };
    write({ Procfile: 'hello: index.handler\n', 'package.json': '{}', 'laambda.json': { http: { authorizers: { jwtAuth } } } });
    assert.match(loadError('ERR_APP_MANIFEST_INVALID'), /http\.authorizers\.jwtAuth\.jwksFile: no file .*keys\/jwks\.json/);
  });

  it('rejects two routes that answer the same requests, including default routes', () => {
    write({
      Procfile: 'a: index.a\nb: index.b\nusers: index.users\n',
      'package.json': '{}',
      'laambda.json': { functions: { a: { events: ['GET /x/{id}'] }, b: { events: ['GET /x/{key}', 'ANY /users'] } } },
    });
    const lines = loadError('ERR_APP_MANIFEST_INVALID').split('\n');
    assert.match(lines[0] ?? '', /functions\.b\.events\[0\]: route "GET \/x\/\{key\}" overlaps "GET \/x\/\{id\}" of function "a"/);
    assert.match(lines[1] ?? '', /functions\.b\.events\[1\]: route "ANY \/users" overlaps "ANY \/users", the default route of function "users"/);
  });

  it('reports an invalid laambda.json with its full path', () => {
    write({ Procfile: 'hello: index.handler\n', 'package.json': '{}', 'laambda.json': { functions: { hello: { memory: 64 } } } });
    assert.equal(
      loadError('ERR_APP_MANIFEST_INVALID'),
      `${path.join(dir, 'laambda.json')}: functions.hello.memory: must be a whole number from 128 to 10240 (got 64)`,
    );
  });

  it('still requires a Procfile', () => {
    write({ 'laambda.json': {} });
    assert.match(loadError('ERR_APP_PROCFILE_MISSING'), /no Procfile/);
  });
});

describe('findFunction', () => {
  it('lists the functions and suggests the closest name', () => {
    write({ Procfile: 'hello: index.handler\n', 'package.json': '{}' });
    assert.throws(
      () => findFunction(loadLocalApp(dir), 'helo'),
      (error) => isLaambdaError(error) && error.code === 'ERR_APP_FUNCTION_NOT_FOUND' && /\(functions: hello\) \(did you mean "hello"\?\)/.test(error.message),
    );
  });
});

describe('the default app name', () => {
  it('is the directory name made fit for Lambda function names', () => {
    assert.equal(defaultAppName('/work/my.app'), 'my-app');
    assert.equal(defaultAppName('/tmp/tmp.k8TztrsC0t'), 'tmp-k8TztrsC0t');
    assert.equal(defaultAppName('/srv/shop'), 'shop');
    assert.equal(defaultAppName('/srv/...'), 'app');
  });
});
