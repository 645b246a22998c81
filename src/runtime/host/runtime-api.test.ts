import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { createRuntimeApiServer, readBody, type RuntimeApiHandlers, sendJson } from './runtime-api.ts';

const server = createRuntimeApiServer();
after(() => server.close());

interface Call {
  route: string;
  requestId?: string;
  body: string;
}

/** Handlers that record each call and answer 202 with what they read. */
function recorder(): { handlers: RuntimeApiHandlers; calls: Call[] } {
  const calls: Call[] = [];
  const record = (route: string) => async (req: http.IncomingMessage, res: http.ServerResponse, requestId?: string) => {
    const body = (await readBody(req, 1024))?.toString('utf8') ?? '<too large>';
    calls.push(requestId === undefined ? { route, body } : { route, requestId, body });
    sendJson(res, 202, { status: 'OK' });
  };
  const next = record('next');
  const response = record('response');
  const error = record('error');
  const initError = record('init/error');
  return {
    calls,
    handlers: {
      next: (req, res) => void next(req, res),
      response: (id, req, res) => void response(req, res, id),
      error: (id, req, res) => void error(req, res, id),
      initError: (req, res) => void initError(req, res),
    },
  };
}

function request(address: string, method: string, path: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`http://${address}${path}`, { method }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Runtime API server', () => {
  it('gives each environment a bare host:port address on 127.0.0.1', async () => {
    const [a, b] = await Promise.all([server.open(recorder().handlers), server.open(recorder().handlers)]);
    assert.match(a.address, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(a.address, b.address);
    a.close();
    b.close();
  });

  it('routes the 2018-06-01 calls to the environment, request ids decoded', async () => {
    const { handlers, calls } = recorder();
    const endpoint = await server.open(handlers);
    const base = '/2018-06-01/runtime';
    assert.equal((await request(endpoint.address, 'GET', `${base}/invocation/next`)).status, 202);
    assert.equal((await request(endpoint.address, 'POST', `${base}/invocation/req%201/response`, '"ok"')).status, 202);
    assert.equal((await request(endpoint.address, 'POST', `${base}/invocation/req-2/error`, '{"errorType":"E"}')).status, 202);
    assert.equal((await request(endpoint.address, 'POST', `${base}/init/error`, '{}')).status, 202);
    assert.deepEqual(calls, [
      { route: 'next', body: '' },
      { route: 'response', requestId: 'req 1', body: '"ok"' },
      { route: 'error', requestId: 'req-2', body: '{"errorType":"E"}' },
      { route: 'init/error', body: '{}' },
    ]);
    endpoint.close();
  });

  it('answers 404 with a JSON error for anything else', async () => {
    const { handlers, calls } = recorder();
    const endpoint = await server.open(handlers);
    for (const [method, path] of [
      ['GET', '/2018-06-01/runtime/invocation/abc/response'],
      ['POST', '/2018-06-01/runtime/invocation/next'],
      ['GET', '/2020-01-01/extension/register'],
      ['GET', '/'],
    ] as const) {
      const res = await request(endpoint.address, method, path, method === 'POST' ? 'body' : '');
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(JSON.parse(res.body).errorType, 'NotFound');
    }
    assert.deepEqual(calls, []);
    endpoint.close();
  });

  it('survives a request id that is not valid percent-encoding, passing it on as sent', async () => {
    const { handlers, calls } = recorder();
    const endpoint = await server.open(handlers);
    await request(endpoint.address, 'POST', '/2018-06-01/runtime/invocation/%E0%A4%A/response', '1');
    assert.equal((await request(endpoint.address, 'GET', '/2018-06-01/runtime/invocation/next')).status, 202);
    assert.deepEqual(calls, [
      { route: 'response', requestId: '%E0%A4%A', body: '1' },
      { route: 'next', body: '' },
    ]);
    endpoint.close();
  });

  it('stops answering once the endpoint is closed', async () => {
    const endpoint = await server.open(recorder().handlers);
    endpoint.close();
    await assert.rejects(request(endpoint.address, 'GET', '/2018-06-01/runtime/invocation/next'), { code: 'ECONNREFUSED' });
  });
});

describe('readBody', () => {
  it('resolves undefined past the limit, after draining the body', async () => {
    const { handlers, calls } = recorder();
    const endpoint = await server.open(handlers);
    const res = await request(endpoint.address, 'POST', '/2018-06-01/runtime/init/error', 'x'.repeat(5000));
    assert.equal(res.status, 202);
    assert.deepEqual(calls, [{ route: 'init/error', body: '<too large>' }]);
    endpoint.close();
  });
});
