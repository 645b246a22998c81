import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildEvent, buildV1Event, buildV2Event, formatRequestTime, isTextContentType, type HttpRequest } from './payload.ts';
import { parseRoute } from './routes.ts';

function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));
}

function request(overrides: Partial<HttpRequest>): HttpRequest {
  return {
    method: 'GET',
    rawPath: '/',
    rawQueryString: '',
    headers: [],
    body: Buffer.alloc(0),
    sourceIp: '127.0.0.1',
    requestId: 'req-1',
    time: new Date('2020-03-12T19:03:58Z'),
    stage: '$default',
    domainName: 'localhost',
    route: parseRoute('$default'),
    pathParameters: {},
    ...overrides,
  };
}

/** The AWS v2 sample, as the request that produced it. */
function v2SampleRequest(): HttpRequest {
  return request({
    method: 'POST',
    rawPath: '/my/path',
    rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
    headers: [
      ['Header1', 'value1'],
      ['Header2', 'value1'],
      ['Cookie', 'cookie1; cookie2'],
      ['header2', 'value2'],
      ['User-Agent', 'agent'],
      ['Content-Type', 'text/plain'],
    ],
    body: Buffer.from('Hello from Lambda'),
    sourceIp: 'IP',
    requestId: 'id',
    domainName: 'id.execute-api.us-east-1.amazonaws.com',
    apiId: 'api-id',
    pathParameters: { parameter1: 'value1' },
    stageVariables: { stageVariable1: 'value1', stageVariable2: 'value2' },
  });
}

describe('buildV2Event', () => {
  it('produces the AWS 2.0 sample event for the equivalent request', () => {
    const expected = fixture('apigw-v2-sample.json');
    const event = buildV2Event(v2SampleRequest());
    // The sample's request carried a text body; its headers differ only by user-agent and content-type.
    const headers = event.headers as Record<string, string>;
    assert.equal(headers['user-agent'], 'agent');
    assert.equal(headers['content-type'], 'text/plain');
    delete headers['user-agent'];
    delete headers['content-type'];
    assert.deepEqual(event, expected);
  });

  it('lower-cases header names and comma-joins repeated headers in arrival order', () => {
    const event = buildV2Event(request({ headers: [['X-A', '1'], ['x-a', '2'], ['Accept', '*/*']] }));
    assert.deepEqual(event.headers, { 'x-a': '1,2', accept: '*/*' });
  });

  it('splits every Cookie header into the cookies field and leaves it out of the headers', () => {
    const event = buildV2Event(request({ headers: [['Cookie', 'a=1; b=2'], ['cookie', 'c=3']] }));
    assert.deepEqual(event.cookies, ['a=1', 'b=2', 'c=3']);
    assert.deepEqual(event.headers, {});
  });

  it('decodes query values and keeps the raw query string as sent', () => {
    const event = buildV2Event(request({ rawQueryString: 'q=a%20b+c&flag&x=%E2%82%AC' }));
    assert.equal(event.rawQueryString, 'q=a%20b+c&flag&x=%E2%82%AC');
    assert.deepEqual(event.queryStringParameters, { q: 'a b c', flag: '', x: '€' });
  });

  it('leaves out body, cookies, query, path parameters and stage variables when there are none', () => {
    const event = buildV2Event(request({}));
    for (const key of ['body', 'cookies', 'queryStringParameters', 'pathParameters', 'stageVariables']) {
      assert.equal(key in event, false, key);
    }
    assert.equal(event.isBase64Encoded, false);
  });

  it('uses the route key of a matched route in both places', () => {
    const event = buildV2Event(request({ route: parseRoute('GET /pets/{id}'), pathParameters: { id: '7' } }));
    assert.equal(event.routeKey, 'GET /pets/{id}');
    assert.equal((event.requestContext as Record<string, unknown>).routeKey, 'GET /pets/{id}');
    assert.deepEqual(event.pathParameters, { id: '7' });
  });

  it('base64-encodes a binary body and keeps text types as text', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    const binary = buildV2Event(request({ body: png, headers: [['Content-Type', 'image/png']] }));
    assert.equal(binary.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(binary.body as string, 'base64'), png);
    const json = buildV2Event(request({ body: Buffer.from('{"a":1}'), headers: [['content-type', 'application/json; charset=utf-8']] }));
    assert.deepEqual([json.body, json.isBase64Encoded], ['{"a":1}', false]);
  });
});

describe('buildV1Event', () => {
  it('produces the AWS REST proxy sample event for the equivalent request', () => {
    const expected = fixture('apigw-v1-rest-sample.json');
    const headerPairs: Array<[string, string]> = Object.entries(expected.headers as Record<string, string>);
    const event = buildV1Event(
      request({
        method: 'POST',
        rawPath: '/hello/world',
        rawQueryString: 'name=me&multivalueName=you&multivalueName=me',
        headers: headerPairs,
        body: Buffer.from(expected.body),
        sourceIp: '192.168.196.186',
        requestId: 'deef4878-7910-11e6-8f14-25afc3e9ae33',
        stage: 'testStage',
        domainName: 'gy415nuibc.execute-api.us-east-1.amazonaws.com',
        accountId: '12345678912',
        route: parseRoute('ANY /{proxy+}'),
        pathParameters: { proxy: 'hello/world' },
        stageVariables: { stageVariableName: 'stageVariableValue' },
      }),
    );
    const { requestContext: context, ...top } = event as Record<string, any>;
    const { requestContext: expectedContext, ...expectedTop } = expected;
    assert.deepEqual(top, expectedTop);
    // Every field of the sample's context is present with the same value, except the generated resource id.
    for (const [key, value] of Object.entries(expectedContext as Record<string, unknown>)) {
      if (key === 'resourceId') assert.match(context.resourceId, /^[0-9a-f]{6}$/);
      else if (key === 'identity') assert.deepEqual({ ...context.identity, principalOrgId: undefined, accessKey: undefined }, { ...(value as object), principalOrgId: undefined, accessKey: undefined });
      else assert.deepEqual(context[key], value, key);
    }
    assert.equal(context.path, '/testStage/hello/world');
    assert.equal(context.requestTime, '12/Mar/2020:19:03:58 +0000');
    assert.equal(context.requestTimeEpoch, Date.parse('2020-03-12T19:03:58Z'));
    assert.equal(context.domainPrefix, 'gy415nuibc');
  });

  it('keeps the last value in headers and all of them in multiValueHeaders', () => {
    const event = buildV1Event(request({ headers: [['X-A', '1'], ['X-A', '2']], rawQueryString: 'a=1&a=2' }));
    assert.deepEqual(event.headers, { 'X-A': '2' });
    assert.deepEqual(event.multiValueHeaders, { 'X-A': ['1', '2'] });
    assert.deepEqual(event.queryStringParameters, { a: '2' });
    assert.deepEqual(event.multiValueQueryStringParameters, { a: ['1', '2'] });
  });

  it('sends null for an empty body, no query, no path parameters and no stage variables', () => {
    const event = buildV1Event(request({}));
    for (const key of ['body', 'headers', 'multiValueHeaders', 'queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters', 'stageVariables']) {
      assert.equal(event[key], null, key);
    }
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.resource, '/', '$default uses the request path as its resource');
  });

  it('base64-encodes a body without a content type', () => {
    const event = buildV1Event(request({ body: Buffer.from('abc') }));
    assert.deepEqual([event.body, event.isBase64Encoded], ['YWJj', true]);
  });
});

describe('payload helpers', () => {
  it('formats request time the way API Gateway does, in UTC', () => {
    assert.equal(formatRequestTime(new Date('2020-03-04T09:05:07.123Z')), '04/Mar/2020:09:05:07 +0000');
  });

  it('treats text, JSON, XML, form and JavaScript types as text and everything else as binary', () => {
    for (const type of ['text/plain', 'text/html; charset=utf-8', 'application/json', 'application/problem+json', 'application/xml', 'image/svg+xml', 'application/x-www-form-urlencoded', 'application/javascript']) {
      assert.equal(isTextContentType(type), true, type);
    }
    for (const type of ['image/png', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/pdf', undefined]) {
      assert.equal(isTextContentType(type), false, String(type));
    }
  });

  it('chooses the builder by payload version', () => {
    assert.equal(buildEvent('2.0', request({})).version, '2.0');
    assert.equal('httpMethod' in buildEvent('1.0', request({})), true);
  });
});
