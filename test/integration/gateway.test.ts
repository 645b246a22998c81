import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { COORDINATION_CJS, waitFor } from '../support/engine.ts';
import { DevHarness } from '../support/dev.ts';

const harness = new DevHarness();
after(() => harness.cleanup());

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, '../../src/events/http/fixtures', name), 'utf8')) as Record<string, any>;

/** Returns the event it got as the JSON body. */
const ECHO = `exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
});`;

describe('laambda dev gateway', () => {
  it('serves ANY /NAME and ANY /NAME/{proxy+} for a bare Procfile app and 404s elsewhere', async () => {
    const dev = await harness.start({
      Procfile: 'hello: index.handler\n',
      'index.js': ECHO,
    });
    const root = await dev.fetch('/hello');
    assert.equal(root.status, 200);
    assert.equal(root.json().routeKey, 'ANY /hello');
    const nested = await dev.fetch('/hello/a/b%20c?x=1', { method: 'DELETE' });
    assert.equal(nested.status, 200);
    assert.equal(nested.json().routeKey, 'ANY /hello/{proxy+}');
    assert.deepEqual(nested.json().pathParameters, { proxy: 'a/b c' });
    assert.equal(nested.json().requestContext.http.method, 'DELETE');
    const missing = await dev.fetch('/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), { message: 'Not Found' });
    const health = await dev.fetch('/__laambda/health');
    assert.equal(health.status, 200);
  });

  it('sends payload 2.0 events with every field of the AWS sample', async () => {
    const sample = fixture('apigw-v2-sample.json');
    const dev = await harness.start({
      Procfile: 'echo: index.handler\n',
      'index.js': ECHO,
      'laambda.json': JSON.stringify({ functions: { echo: { events: ['$default'] } } }),
    });
    const reply = await dev.fetch(`${sample.rawPath}?${sample.rawQueryString}`, {
      method: 'POST',
      headers: { header1: 'value1', header2: ['value1', 'value2'], cookie: 'cookie1; cookie2', 'content-type': 'text/plain', 'user-agent': 'agent' },
      body: 'Hello from Lambda',
    });
    assert.equal(reply.status, 200);
    const event = reply.json();
    // Everything the sample has, except what this request has none of (stage variables, path parameters).
    const expectedKeys = Object.keys(sample).filter((key) => key !== 'stageVariables' && key !== 'pathParameters');
    assert.deepEqual(Object.keys(event).sort(), expectedKeys.sort());
    assert.deepEqual(Object.keys(event.requestContext).sort(), Object.keys(sample.requestContext).sort());
    assert.deepEqual(Object.keys(event.requestContext.http).sort(), Object.keys(sample.requestContext.http).sort());
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, '$default');
    assert.equal(event.rawPath, sample.rawPath);
    assert.equal(event.rawQueryString, sample.rawQueryString);
    assert.deepEqual(event.cookies, sample.cookies);
    assert.equal(event.headers.header1, 'value1');
    assert.equal(event.headers.header2, sample.headers.header2);
    assert.equal(event.headers.cookie, undefined, 'cookies travel in their own field');
    assert.deepEqual(event.queryStringParameters, sample.queryStringParameters);
    assert.equal(event.body, sample.body);
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.requestContext.http.method, 'POST');
    assert.equal(event.requestContext.http.sourceIp, '127.0.0.1');
    assert.equal(event.requestContext.http.userAgent, 'agent');
    assert.equal(event.requestContext.stage, '$default');
    assert.match(event.requestContext.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    assert.equal(reply.headers['apigw-requestid'], event.requestContext.requestId);
  });

  it('sends payload 1.0 events with every field of the AWS REST sample', async () => {
    const sample = fixture('apigw-v1-rest-sample.json');
    const dev = await harness.start({
      Procfile: 'echo: index.handler\n',
      'index.js': ECHO,
      'laambda.json': JSON.stringify({ functions: { echo: { events: [{ http: 'GET /my/{param}', payload: '1.0' }] } } }),
    });
    const reply = await dev.fetch('/my/path?parameter1=value1&parameter1=value2&parameter2=value', {
      headers: { header1: 'value1', header2: ['value1', 'value2'] },
    });
    assert.equal(reply.status, 200);
    const event = reply.json();
    assert.deepEqual(Object.keys(event).sort(), Object.keys(sample).sort());
    // Real REST events carry more context fields than the minimal sample; every sample field must be there.
    const missing = Object.keys(sample.requestContext).filter((key) => key !== 'authorizer' && !(key in event.requestContext));
    assert.deepEqual(missing, []);
    assert.equal(event.resource, '/my/{param}');
    assert.equal(event.path, '/my/path');
    assert.equal(event.httpMethod, 'GET');
    assert.deepEqual(event.pathParameters, { param: 'path' });
    assert.deepEqual(event.multiValueHeaders.header2, ['value1', 'value2']);
    assert.equal(event.headers.header2, 'value2');
    assert.deepEqual(event.multiValueQueryStringParameters, { parameter1: ['value1', 'value2'], parameter2: ['value'] });
    assert.deepEqual(event.queryStringParameters, { parameter1: 'value2', parameter2: 'value' });
    assert.equal(event.body, null);
    assert.equal(event.requestContext.identity.sourceIp, '127.0.0.1');
  });

  it('passes binary bodies in as base64 and sends base64 results out as bytes', async () => {
    const dev = await harness.start({
      Procfile: 'bin: index.handler\n',
      'index.js': `exports.handler = async (event) => ({
        statusCode: 200,
        headers: { 'content-type': 'application/octet-stream', 'x-in-base64': String(event.isBase64Encoded) },
        body: Buffer.from(Buffer.from(event.body, 'base64').reverse()).toString('base64'),
        isBase64Encoded: true,
      });`,
    });
    const bytes = Buffer.from([0, 255, 1, 254, 2, 253, 0x89, 0x50]);
    const reply = await dev.fetch('/bin', { method: 'POST', headers: { 'content-type': 'image/png' }, body: bytes });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-in-base64'], 'true');
    assert.deepEqual(reply.body, Buffer.from(bytes).reverse());
  });

  it('sends cookies and multi-value headers as repeated response headers', async () => {
    const dev = await harness.start({
      Procfile: 'v2: v2.handler\nv1: v1.handler\n',
      'v2.js': `exports.handler = async (event) => ({ statusCode: 201, cookies: ['a=1; Path=/', 'b=2; HttpOnly'], body: JSON.stringify(event.cookies) });`,
      'v1.js': `exports.handler = async () => ({ statusCode: 200, multiValueHeaders: { 'x-multi': ['one', 'two'] }, headers: { 'x-single': 's' }, body: 'ok' });`,
      'laambda.json': JSON.stringify({ functions: { v2: {}, v1: { events: [{ http: 'GET /v1', payload: '1.0' }] } } }),
    });
    const v2 = await dev.fetch('/v2', { headers: { cookie: 'session=abc; theme=dark' } });
    assert.equal(v2.status, 201);
    assert.deepEqual(v2.json(), ['session=abc', 'theme=dark']);
    assert.deepEqual(v2.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly']);
    const v1 = await dev.fetch('/v1');
    assert.deepEqual(v1.rawHeaders.filter(([name]) => name === 'x-multi').map(([, value]) => value), ['one', 'two']);
    assert.equal(v1.headers['x-single'], 's');
  });

  it('answers CORS preflights itself and sets CORS headers on responses', async () => {
    const dev = await harness.start({
      Procfile: 'api: index.handler\n',
      'index.js': `exports.handler = async () => ({ statusCode: 200, headers: { 'access-control-allow-origin': 'https://evil.example' }, body: 'ok' });`,
      'laambda.json': JSON.stringify({
        http: { cors: { allowOrigins: ['https://app.example.com'], allowMethods: ['GET', 'POST'], allowHeaders: ['content-type', 'authorization'], exposeHeaders: ['x-total'], allowCredentials: true, maxAge: 600 } },
        functions: { api: { events: ['GET /items', 'POST /items'] } },
      }),
    });
    const preflight = await dev.fetch('/items', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(preflight.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(preflight.headers['access-control-allow-headers'], 'content-type,authorization');
    assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
    assert.equal(preflight.headers['access-control-max-age'], '600');
    assert.equal(dev.accesses.some((access) => access.functionName !== undefined && access.method === 'OPTIONS'), false, 'the function never saw the preflight');

    const actual = await dev.fetch('/items', { headers: { origin: 'https://app.example.com' } });
    assert.equal(actual.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(actual.headers['access-control-expose-headers'], 'x-total');

    const foreign = await dev.fetch('/items', { headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.status, 200);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined, "the function's own CORS header is replaced");
  });

  it('maps failures to 502, 504, 429 and 413 with API Gateway bodies', async () => {
    const dev = await harness.start({
      Procfile: ['boom: boom.handler', 'bad: bad.handler', 'slow: slow.handler', 'busy: busy.handler'].join('\n'),
      'boom.js': `exports.handler = async () => { throw new Error('kaput'); };`,
      'bad.js': `exports.handler = async () => ({ statusCode: 'not a status' });`,
      'slow.js': `exports.handler = () => new Promise((resolve) => setTimeout(resolve, 30_000));`,
      'busy.js': `${COORDINATION_CJS}\nexports.handler = async (event) => { await waitForFile(event.queryStringParameters.release); return 'done'; };`,
      'laambda.json': JSON.stringify({ functions: { slow: { timeout: 1 }, busy: { concurrency: 1 } } }),
    });
    const boom = await dev.fetch('/boom');
    assert.equal(boom.status, 502);
    assert.deepEqual(boom.json(), { message: 'Internal Server Error' });
    const bad = await dev.fetch('/bad');
    assert.equal(bad.status, 502);
    assert.deepEqual(bad.json(), { message: 'Internal Server Error' });
    assert.match(dev.accesses.find((a) => a.functionName === 'bad')?.reason ?? '', /statusCode/);
    const slow = await dev.fetch('/slow');
    assert.equal(slow.status, 504);

    const release = path.join(dev.dir, 'release');
    const first = dev.fetch(`/busy?release=${encodeURIComponent(release)}`);
    await waitFor(() => dev.server.session.state !== undefined && dev.logs.some((l) => l.functionName.endsWith('-busy') && l.line.startsWith('START')), { message: 'the first busy request to start' });
    const throttled = await dev.fetch(`/busy?release=${encodeURIComponent(release)}`);
    assert.equal(throttled.status, 429);
    assert.deepEqual(throttled.json(), { message: 'Too Many Requests' });
    await writeFile(release, '');
    assert.equal((await first).status, 200);

    const huge = await dev.fetch('/boom', { method: 'POST', body: Buffer.alloc(6 * 1024 * 1024 + 1, 'a'), headers: { 'content-type': 'text/plain' } });
    assert.equal(huge.status, 413);
    assert.deepEqual(huge.json(), { message: 'Request Entity Too Large' });
  });

  it('serves opt-in function URLs by host with payload 2.0', async () => {
    const dev = await harness.start({
      Procfile: 'echo: index.handler\nother: index.handler\nprivate: index.handler\n',
      'index.js': ECHO,
      'laambda.json': JSON.stringify({ functions: { echo: { url: true }, private: { url: { authType: 'AWS_IAM' } } } }),
    });
    const port = new URL(dev.url).port;
    const reply = await dev.fetch('/any/path?q=1', { method: 'PUT', host: `echo.lambda-url.localhost:${port}` });
    assert.equal(reply.status, 200);
    const event = reply.json();
    assert.equal(event.version, '2.0');
    assert.equal(event.routeKey, '$default');
    assert.equal(event.rawPath, '/any/path');
    assert.equal(event.requestContext.domainName, 'echo.lambda-url.localhost');
    const none = await dev.fetch('/', { host: `other.lambda-url.localhost:${port}` });
    assert.equal(none.status, 404, 'a function without url has no function URL');
    const iam = await dev.fetch('/', { host: `private.lambda-url.localhost:${port}` });
    assert.equal(iam.status, 403, 'an AWS_IAM function URL is never served unsigned');
  });

  it('runs TypeScript handlers without a build step', async () => {
    const dev = await harness.start({
      Procfile: 'greet: src/greet.handler\n',
      'src/greet.ts': `import { greeting } from './words.ts';
interface Event { queryStringParameters?: Record<string, string> }
export const handler = async (event: Event): Promise<{ statusCode: number; body: string }> => ({
  statusCode: 200,
  body: greeting(event.queryStringParameters?.name ?? 'world'),
});`,
      'src/words.ts': `export const greeting = (name: string): string => \`hello, \${name}\`;`,
    });
    const reply = await dev.fetch('/greet?name=ts');
    assert.equal(reply.status, 200);
    assert.equal(reply.text, 'hello, ts');
  });
});
