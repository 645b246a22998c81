import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { ERROR_CODES, LaambdaError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';
import type { DeployEvent, DeployRequest, PlatformServices, Principal, ReleaseView } from '../core/services.ts';
import {
  createControlApi,
  type ApiApp,
  type ApiAppInfo,
  type ApiBuild,
  type ApiDeployEvent,
  type ApiErrorBody,
  type ApiRelease,
  type ApiReleaseInfo,
  type ApiToken,
  type ControlHandler,
} from './index.ts';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const ADMIN: Principal = { tokenId: 't_admin', name: 'admin', appId: null, appName: null, admin: true };
const SHOP: Principal = { tokenId: 't_shop', name: 'ci', appId: 'a_shop', appName: 'shop', admin: false };

const release = (version: number): ReleaseView => ({
  version,
  kind: 'deploy',
  description: `v${version}`,
  author: 'admin',
  createdAt: T0,
  artifact: 'sha256:abc',
  buildId: 'b_1',
  current: true,
});

/** What the stub saw and what the test controls; a stand-in for src/deploy, just enough for the API. */
interface Stub {
  calls: Array<{ method: string; principal: Principal; args: unknown[] }>;
  deploy: { request?: DeployRequest; archive?: Buffer; gate: PromiseWithResolvers<void>; failMidway: boolean };
}

function stubServices(stub: Stub): PlatformServices {
  const record = (method: string, principal: Principal, ...args: unknown[]) => stub.calls.push({ method, principal, args });
  const notFound = (app: string) => new LaambdaError('ERR_APP_NOT_FOUND', `no app "${app}"`);
  const unused = async (): Promise<never> => {
    throw new Error('not used by these tests');
  };
  const app = { name: 'shop', domain: null, createdAt: T0, release: 3, gatewayUrl: 'http://shop.localhost', gitUrl: 'http://x/git/shop.git' };
  return {
    authenticate: async (token) => ({ lb_admin: ADMIN, lb_shop: SHOP })[token],
    apps: {
      list: async (principal) => {
        record('apps.list', principal);
        return [app];
      },
      create: unused,
      info: async (principal, name) => {
        if (name !== 'shop') throw notFound(name);
        return { ...app, functions: ['web'], lastDeploy: release(3) };
      },
      destroy: async (principal, name, confirm) => {
        record('apps.destroy', principal, name, confirm);
      },
    },
    functions: {
      list: unused,
      update: async (principal, name, fn, overrides) => {
        record('functions.update', principal, name, fn, overrides);
        return { function: { name: fn, lambdaName: `shop-${fn}`, arn: 'arn', handler: 'index.handler', runtime: 'nodejs', memoryMB: 256, timeoutS: 3, concurrency: 10, routes: [], url: null }, release: release(4) };
      },
    },
    eventSources: { list: unused, add: unused, remove: unused, clear: unused, reset: unused },
    queues: { list: unused, create: unused, remove: unused, send: unused, purge: unused, redrive: unused },
    buckets: { list: unused, create: unused, remove: unused },
    objects: { list: unused, put: unused, get: unused },
    schedules: { list: unused },
    logs: { query: unused, tail: unused },
    drains: { list: unused, add: unused, remove: unused },
    metrics: { query: unused },
    deploys: {
      start: async (principal, name, request) => {
        if (name !== 'shop') throw notFound(name);
        stub.deploy.request = request;
        const chunks: Uint8Array[] = [];
        for await (const chunk of request.archive) chunks.push(chunk);
        stub.deploy.archive = Buffer.concat(chunks);
        const { gate, failMidway } = stub.deploy;
        return (async function* (): AsyncGenerator<DeployEvent> {
          yield { type: 'step', step: 'extract', message: `-----> Receiving ${stub.deploy.archive?.length} bytes` };
          await gate.promise;
          if (failMidway) throw new Error('disk full at /var/lib/laambda/secret');
          yield { type: 'log', step: 'dependencies', message: 'added 20 packages' };
          yield { type: 'result', ok: true, build: 'b_2', release: release(5) };
        })();
      },
    },
    builds: {
      list: async () => {
        throw new Error('database is locked at /var/lib/laambda/secret.db');
      },
      get: async () => ({ id: 'b_1', status: 'running', source: 'git', revision: null, author: 'admin', artifact: null, release: null, error: null, startedAt: T0, finishedAt: null, output: '' }),
    },
    releases: {
      list: unused,
      get: async (principal, name, version) => {
        record('releases.get', principal, name, version);
        return { ...release(version), configKeys: [], overrides: {}, functions: [] };
      },
      rollback: unused,
    },
    config: { get: unused, update: unused, clear: unused },
    tokens: {
      list: async () => [{ id: 't_admin', name: 'admin', app: null, createdAt: T0, lastUsedAt: T0 + 1000 }, { id: 't_shop', name: 'ci', app: 'shop', createdAt: T0, lastUsedAt: null }],
      create: unused,
      revoke: unused,
    },
    keys: { list: unused, create: unused, revoke: unused },
  };
}

function capturingLogger(lines: Array<{ level: string; fields: Record<string, unknown>; message: string }>): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('control API', () => {
  const stub: Stub = { calls: [], deploy: { gate: Promise.withResolvers<void>(), failMidway: false } };
  const logs: Parameters<typeof capturingLogger>[0] = [];
  const gitHandler: ControlHandler = async (req, res) => {
    if (!req.url?.startsWith('/git/') && req.url !== '/api/v1/extra-owned') return false;
    if (req.url === '/git/boom') throw new Error('git http-backend crashed at /usr/lib/secret');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('git here');
    return true;
  };
  let server: Server;
  let base: string;
  const admin = { authorization: 'Bearer lb_admin' };

  before(async () => {
    const listener = createControlApi({ services: stubServices(stub), version: '9.8.7', logger: capturingLogger(logs), extra: [gitHandler] });
    ({ server, url: base } = await listen(listener));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('answers health without a token, with a request id', async () => {
    const res = await fetch(`${base}/api/v1/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', version: '9.8.7' });
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('answers 401 with WWW-Authenticate without a token or with an unknown one', async () => {
    for (const headers of [{}, { authorization: 'Bearer lb_nope' }, { authorization: 'Basic eDp5' }]) {
      const res = await fetch(`${base}/api/v1/apps`, { headers });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      const body = await json<ApiErrorBody>(res);
      assert.equal(body.code, 'ERR_API_UNAUTHORIZED');
      assert.equal(body.requestId, res.headers.get('x-request-id'));
    }
  });

  it('hands the principal of the token to the service and answers ISO times', async () => {
    const res = await fetch(`${base}/api/v1/apps`, { headers: { authorization: 'Bearer lb_shop' } });
    assert.equal(res.status, 200);
    const [app] = await json<ApiApp[]>(res);
    assert.equal(app?.createdAt, '2025-01-02T03:04:05.678Z');
    assert.deepEqual(stub.calls.at(-1), { method: 'apps.list', principal: SHOP, args: [] });

    const tokens = await json<ApiToken[]>(await fetch(`${base}/api/v1/tokens`, { headers: admin }));
    assert.deepEqual(tokens.map((token) => token.lastUsedAt), ['2025-01-02T03:04:06.678Z', null]);
    const build = await json<ApiBuild>(await fetch(`${base}/api/v1/apps/shop/builds/b_1`, { headers: admin }));
    assert.deepEqual([build.startedAt, build.finishedAt], ['2025-01-02T03:04:05.678Z', null]);
    const info = await json<ApiAppInfo>(await fetch(`${base}/api/v1/apps/shop`, { headers: admin }));
    assert.equal(info.lastDeploy?.createdAt, '2025-01-02T03:04:05.678Z');
  });

  it('maps a LaambdaError to its status, code, reason phrase, fix and request id', async () => {
    const res = await fetch(`${base}/api/v1/apps/nope`, { headers: admin });
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), {
      statusCode: 404,
      code: 'ERR_APP_NOT_FOUND',
      error: 'Not Found',
      message: 'no app "nope"',
      fix: ERROR_CODES.ERR_APP_NOT_FOUND.fix,
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('answers 500 ERR_PLATFORM_INTERNAL for other errors, logging them with the request id but not leaking them', async () => {
    const res = await fetch(`${base}/api/v1/apps/shop/builds`, { headers: admin });
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.equal(JSON.parse(text).code, 'ERR_PLATFORM_INTERNAL');
    assert.doesNotMatch(text, /secret|database|at /);
    const requestId = res.headers.get('x-request-id');
    const logged = logs.find((line) => line.level === 'error' && line.fields.requestId === requestId);
    assert.match(String((logged?.fields.err as Error).message), /database is locked/);
  });

  it('rejects invalid bodies and queries with 400 ERR_API_REQUEST_INVALID naming the field', async () => {
    const patch = (body: string) =>
      fetch(`${base}/api/v1/apps/shop/functions/web`, { method: 'PATCH', headers: { ...admin, 'content-type': 'application/json' }, body });
    const cases: Array<[Promise<Response>, RegExp]> = [
      [patch('{"memoryMB":"big"}'), /body\.memoryMB: .*expected number/],
      [patch('{"memoryMB":128.5}'), /body\.memoryMB: .*expected int/],
      [patch('{"memory":512}'), /body: Unrecognized key: "memory"/],
      [patch('{"memoryMB":'), /body: expected JSON/],
      [fetch(`${base}/api/v1/apps/shop/releases?limit=0`, { headers: admin }), /query\.limit: .*>=1/],
      [fetch(`${base}/api/v1/apps/shop/releases/x3`, { headers: admin }), /params\.version: expected a release version/],
    ];
    for (const [request, message] of cases) {
      const res = await request;
      const body = await json<ApiErrorBody>(res);
      assert.equal(res.status, 400, body.message);
      assert.equal(body.code, 'ERR_API_REQUEST_INVALID');
      assert.equal(body.error, 'Bad Request');
      assert.match(body.message, message);
      assert.equal(body.fix, ERROR_CODES.ERR_API_REQUEST_INVALID.fix);
      assert.equal(body.requestId, res.headers.get('x-request-id'));
    }
  });

  it('passes a valid PATCH body and the confirm query to the services', async () => {
    const res = await fetch(`${base}/api/v1/apps/shop/functions/web`, { method: 'PATCH', headers: admin, body: '{"memoryMB":512,"timeoutS":30}' });
    assert.equal(res.status, 200);
    assert.deepEqual(stub.calls.at(-1)?.args, ['shop', 'web', { memoryMB: 512, timeoutS: 30 }]);
    assert.equal((await json<{ release: ApiRelease }>(res)).release.createdAt, '2025-01-02T03:04:05.678Z');

    const destroyed = await fetch(`${base}/api/v1/apps/shop?confirm=shop`, { method: 'DELETE', headers: admin });
    assert.equal(destroyed.status, 204);
    assert.deepEqual(stub.calls.at(-1)?.args, ['shop', 'shop']);
  });

  it('accepts release versions as 3 or v3', async () => {
    for (const version of ['3', 'v3']) {
      const res = await fetch(`${base}/api/v1/apps/shop/releases/${version}`, { headers: admin });
      assert.equal(res.status, 200);
      assert.equal((await json<ApiReleaseInfo>(res)).version, 3);
      assert.deepEqual(stub.calls.at(-1)?.args, ['shop', 3]);
    }
  });

  it('streams deploy events as ndjson lines while the build runs', { timeout: 10_000 }, async () => {
    stub.deploy = { gate: Promise.withResolvers<void>(), failMidway: false };
    const archive = new Uint8Array(70_000).fill(7);
    const res = await fetch(`${base}/api/v1/apps/shop/deploys?description=first&revision=abc`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/gzip' },
      body: archive,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const lines = readLines(res);
    // The stub's build waits on the gate: this line can only arrive if it is not held back.
    assert.deepEqual(JSON.parse((await lines.next()).value), { type: 'step', step: 'extract', message: '-----> Receiving 70000 bytes' });
    stub.deploy.gate.resolve();
    const rest = [];
    for await (const line of lines) rest.push(JSON.parse(line));
    assert.deepEqual(rest.map((event) => event.type), ['log', 'result']);
    assert.equal(rest[1].release.createdAt, '2025-01-02T03:04:05.678Z');
    const { request } = stub.deploy;
    assert.deepEqual([request?.gzip, request?.source, request?.description, request?.revision], [true, 'deploy', 'first', 'abc']);
    assert.deepEqual(stub.deploy.archive, Buffer.from(archive));
  });

  it('answers deploy errors before the stream as JSON, and ends the stream with a failed result after', async () => {
    const unknown = await fetch(`${base}/api/v1/apps/nope/deploys`, { method: 'POST', headers: admin, body: 'x' });
    assert.equal(unknown.status, 404);
    assert.equal((await json<ApiErrorBody>(unknown)).code, 'ERR_APP_NOT_FOUND');

    stub.deploy = { gate: Promise.withResolvers<void>(), failMidway: true };
    stub.deploy.gate.resolve();
    const res = await fetch(`${base}/api/v1/apps/shop/deploys`, { method: 'POST', headers: { ...admin, 'content-type': 'application/x-tar' }, body: 'tar' });
    const lines = (await res.text()).trim().split('\n');
    assert.equal(stub.deploy.request?.gzip, false);
    const last = JSON.parse(lines.at(-1) ?? '') as ApiDeployEvent;
    assert.ok(last.type === 'result' && !last.ok, 'the stream ends with a failed result');
    assert.equal(lines.length, 2);
    assert.deepEqual([last.build, last.error.code, last.error.fix], [null, 'ERR_PLATFORM_INTERNAL', ERROR_CODES.ERR_PLATFORM_INTERNAL.fix]);
    assert.doesNotMatch(last.error.message, /secret|disk/);
  });

  it('tries the extra handlers first (a failing one answers 500 JSON) and answers 404 JSON for unknown paths', async () => {
    const git = await fetch(`${base}/git/shop.git/info/refs`);
    assert.equal(await git.text(), 'git here');
    const owned = await fetch(`${base}/api/v1/extra-owned`);
    assert.equal(await owned.text(), 'git here');
    const crashed = await fetch(`${base}/git/boom`);
    assert.equal(crashed.status, 500);
    assert.equal((await json<ApiErrorBody>(crashed)).requestId, crashed.headers.get('x-request-id'));
    for (const [method, path] of [['GET', '/nowhere'], ['PUT', '/api/v1/apps']]) {
      const res = await fetch(`${base}${path}`, { method, headers: admin });
      assert.equal(res.status, 404);
      const body = await json<ApiErrorBody>(res);
      assert.equal(body.code, 'ERR_API_ROUTE_NOT_FOUND');
      assert.equal(body.requestId, res.headers.get('x-request-id'));
    }
  });

  it('publishes an OpenAPI 3.1 document listing every path of docs/api.md, without a token', async () => {
    const res = await fetch(`${base}/api/v1/openapi.json`);
    assert.equal(res.status, 200);
    const document = await json<OpenApiDocument>(res);
    assert.equal(document.openapi, '3.1.0');
    assert.equal(document.info.version, '9.8.7');
    const { type, scheme } = document.components.securitySchemes.bearerAuth ?? {};
    assert.deepEqual([type, scheme], ['http', 'bearer']);
    const documented = (await documentedOperations()).map(([method, path]) => `${method} ${path}`).sort();
    const published = Object.entries(document.paths as Record<string, object>)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.equal(documented.length, 47, 'rows read from the endpoint table of docs/api.md');
    assert.deepEqual(published, documented);
    assert.deepEqual(document.paths['/api/v1/health']?.get?.security, []);
    assert.equal(document.paths['/api/v1/apps']?.get?.security, undefined, 'the document-wide bearer security applies');
  });

  it('publishes components that are valid JSON Schemas and describe the answers', async () => {
    const document = await json<OpenApiDocument>(await fetch(`${base}/api/v1/openapi.json`));
    const schemas = document.components.schemas ?? {};
    const asDefs = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll('#/components/schemas/', '#/$defs/'));
    const validator = (name: string) => z.fromJSONSchema({ ...asDefs(schemas[name]), $defs: asDefs(schemas) });
    for (const name of Object.keys(schemas)) assert.doesNotThrow(() => validator(name), name);
    for (const ref of JSON.stringify(document).matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)) {
      assert.ok(document.components[ref[1] ?? '']?.[ref[2] ?? ''], `${ref[0]} resolves`);
    }

    const info = await json<ApiAppInfo>(await fetch(`${base}/api/v1/apps/shop`, { headers: admin }));
    assert.deepEqual(validator('AppInfo').parse(info), info);
    const error = await json<ApiErrorBody>(await fetch(`${base}/api/v1/apps/nope`, { headers: admin }));
    assert.deepEqual(validator('Error').parse(error), error);
    assert.equal(validator('App').safeParse({ ...info, createdAt: 5 }).success, false);
  });
});

/** The parts of the OpenAPI document these tests read. */
interface OpenApiDocument {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, { security?: unknown[] }>>;
  components: Record<string, Record<string, object>> & { securitySchemes: Record<string, { type: string; scheme: string }> };
}

/** The answer's JSON, typed as the API documents it. */
async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function* readLines(res: Response): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body ?? []) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n')) >= 0) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered !== '') yield buffered;
}

/** `[method, path]` of each row of the endpoint table in docs/api.md. */
async function documentedOperations(): Promise<Array<[string, string]>> {
  const text = await readFile(new URL('../../docs/api.md', import.meta.url), 'utf8');
  return [...text.matchAll(/^\| `(GET|POST|PATCH|DELETE) (\/api\/v1\/[^`?]*)/gm)].map((match) => [match[1] as string, match[2] as string]);
}
