import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ApiError, createApiClient } from '../api/client.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

describe('API client', () => {
  let server: Server;
  let url = '';
  let handler: Handler = (_req, res) => {
    res.end();
  };

  before(async () => {
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      // The deploy test reads the body itself while it streams.
      if (req.url?.includes('/deploys')) return handler(req, res, Buffer.alloc(0));
      for await (const chunk of req) chunks.push(chunk as Buffer);
      await handler(req, res, Buffer.concat(chunks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it('sends the token and JSON bodies, and returns the parsed answer', async () => {
    let seen: { method?: string; url?: string; auth?: string; type?: string; body?: unknown } = {};
    handler = (req, res, body) => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body: JSON.parse(body.toString()) };
      json(res, 200, { config: { FOO: 'bar' }, release: { version: 4 } });
    };
    const client = createApiClient({ url: `${url}/`, token: 'lb_test' });
    const result = await client.config.update('shop', { FOO: 'bar', OLD: null });
    assert.deepEqual(result, { config: { FOO: 'bar' }, release: { version: 4 } });
    assert.deepEqual(seen, { method: 'PATCH', url: '/api/v1/apps/shop/config', auth: 'Bearer lb_test', type: 'application/json', body: { FOO: 'bar', OLD: null } });
  });

  it('puts query parameters in the URL and returns nothing for 204', async () => {
    const urls: string[] = [];
    handler = (req, res) => {
      urls.push(`${req.method} ${req.url}`);
      if (req.method === 'DELETE') {
        res.writeHead(204).end();
        return;
      }
      json(res, 200, []);
    };
    const client = createApiClient({ url, token: 't' });
    assert.equal(await client.apps.destroy('shop', 'shop'), undefined);
    await client.releases.list('shop', { limit: 5 });
    await client.releases.list('shop');
    assert.deepEqual(urls, ['DELETE /api/v1/apps/shop?confirm=shop', 'GET /api/v1/apps/shop/releases?limit=5', 'GET /api/v1/apps/shop/releases']);
  });

  it('rethrows JSON errors with their code, message, fix and status', async () => {
    handler = (_req, res) =>
      json(res, 404, { statusCode: 404, code: 'ERR_APP_NOT_FOUND', error: 'Not Found', message: 'no app "shop"', fix: 'Check the app name.', requestId: 'r1' });
    const client = createApiClient({ url, token: 't' });
    const error = await client.apps.info('shop').then(
      () => assert.fail('expected an error'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, 'ERR_APP_NOT_FOUND');
    assert.equal(error.message, 'no app "shop"');
    assert.equal(error.fix, 'Check the app name.');
    assert.equal(error.status, 404);
    assert.equal(error.kind, 'user');
  });

  it('says ERR_CLI_SERVER_UNREACHABLE, naming the URL, when nothing listens there', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = createApiClient({ url: `http://127.0.0.1:${port}`, token: 't' });
    await assert.rejects(client.auth(), { code: 'ERR_CLI_SERVER_UNREACHABLE', message: new RegExp(`at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`) });
  });

  it('says ERR_CLI_SERVER_UNREACHABLE when the URL answers but is not the laambda API', async () => {
    handler = (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>nope</h1>');
    };
    await assert.rejects(createApiClient({ url, token: 't' }).auth(), { code: 'ERR_CLI_SERVER_UNREACHABLE', message: /not a laambda API answer/ });
  });

  it('streams the archive up and yields each deploy event as it arrives', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let received = '';
    let query = '';
    let type = '';
    handler = async (req, res) => {
      query = req.url ?? '';
      type = req.headers['content-type'] ?? '';
      for await (const chunk of req) received += String(chunk);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${JSON.stringify({ type: 'step', step: 'extract', message: '-----> Receiving 2 files' })}\n`);
      // The rest only once the client has shown the first line: proof it is not buffered.
      await gate;
      res.write(`${JSON.stringify({ type: 'log', step: 'dependencies', message: 'added 1 package' })}\n{"type":"res`);
      res.end(`ult","ok":true,"build":"b_1","release":{"version":2}}\n`);
    };
    const client = createApiClient({ url, token: 't' });
    const events = client.deploy('shop', { archive: Readable.from([Buffer.from('tar-'), Buffer.from('bytes')]), gzip: true, description: 'first deploy' });
    const seen: unknown[] = [];
    for await (const event of events) {
      seen.push(event);
      if (seen.length === 1) release();
    }
    assert.equal(received, 'tar-bytes');
    assert.equal(type, 'application/gzip');
    assert.equal(query, '/api/v1/apps/shop/deploys?description=first+deploy&source=deploy');
    assert.deepEqual(seen, [
      { type: 'step', step: 'extract', message: '-----> Receiving 2 files' },
      { type: 'log', step: 'dependencies', message: 'added 1 package' },
      { type: 'result', ok: true, build: 'b_1', release: { version: 2 } },
    ]);
  });

  it('throws the error answered before the deploy stream starts', async () => {
    handler = async (req, res) => {
      for await (const _chunk of req);
      json(res, 403, { code: 'ERR_API_FORBIDDEN', message: 'this token may not deploy shop', fix: 'Use a token for this app.' });
    };
    const events = createApiClient({ url, token: 't' }).deploy('shop', { archive: Readable.from([Buffer.from('x')]), gzip: false });
    await assert.rejects(async () => {
      for await (const _event of events);
    }, { code: 'ERR_API_FORBIDDEN', status: 403 });
  });

  it('fails when the deploy stream ends without a result', async () => {
    handler = async (req, res) => {
      for await (const _chunk of req);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(`${JSON.stringify({ type: 'step', step: 'extract', message: 'x' })}\n`);
    };
    const events = createApiClient({ url, token: 't' }).deploy('shop', { archive: Readable.from([Buffer.from('x')]), gzip: false });
    await assert.rejects(async () => {
      for await (const _event of events);
    }, { code: 'ERR_CLI_SERVER_UNREACHABLE', message: /ended without a result/ });
  });
});
