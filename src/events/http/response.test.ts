import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayErrorResponse, mapResult, type HttpResponse } from './response.ts';

function v2(result: unknown): HttpResponse {
  const mapped = mapResult({ version: '2.0', payload: JSON.stringify(result) });
  assert.equal(mapped.ok, true, mapped.ok ? '' : mapped.reason);
  return mapped.response;
}

function v1(result: unknown): HttpResponse {
  const mapped = mapResult({ version: '1.0', payload: Buffer.from(JSON.stringify(result)) });
  assert.equal(mapped.ok, true, mapped.ok ? '' : mapped.reason);
  return mapped.response;
}

function assertInternalError(version: '1.0' | '2.0', payload: string, reason: RegExp) {
  const mapped = mapResult({ version, payload });
  assert.equal(mapped.ok, false);
  assert.equal(mapped.response.statusCode, 502);
  assert.equal(mapped.response.body.toString(), '{"message":"Internal Server Error"}');
  if (!mapped.ok) assert.match(mapped.reason, reason);
}

describe('mapResult 2.0', () => {
  it('sends statusCode, headers and body as returned', () => {
    const response = v2({ statusCode: 201, headers: { 'Content-Type': 'text/plain', 'X-Count': 3 }, body: 'made' });
    assert.equal(response.statusCode, 201);
    assert.deepEqual(response.headers, [['Content-Type', 'text/plain'], ['X-Count', '3']]);
    assert.equal(response.body.toString(), 'made');
  });

  it('turns each cookie into its own set-cookie header', () => {
    const response = v2({ statusCode: 200, cookies: ['a=1; Path=/', 'b=2'] });
    assert.deepEqual(response.headers, [['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2']]);
  });

  it('decodes a base64 body', () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(v2({ statusCode: 200, body: bytes.toString('base64'), isBase64Encoded: true }).body, bytes);
  });

  it('ignores multiValueHeaders, which 2.0 does not have', () => {
    assert.deepEqual(v2({ statusCode: 200, multiValueHeaders: { 'X-A': ['1', '2'] } }).headers, []);
  });

  it('infers 200 application/json with the JSON text for an object without statusCode', () => {
    const response = mapResult({ version: '2.0', payload: '{ "message": "Hello from Lambda!" }' }).response;
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.headers, [['content-type', 'application/json']]);
    assert.equal(response.body.toString(), '{ "message": "Hello from Lambda!" }');
  });

  it('infers the same for arrays and numbers, even an object with a body but no statusCode', () => {
    assert.equal(v2([1, 2]).body.toString(), '[1,2]');
    assert.equal(v2(42).body.toString(), '42');
    assert.equal(v2({ body: 'x' }).body.toString(), '{"body":"x"}');
  });

  it('sends a returned string as its own text, as the AWS example shows', () => {
    const response = v2('Hello from Lambda!');
    assert.equal(response.statusCode, 200);
    assert.equal(response.body.toString(), 'Hello from Lambda!');
  });

  it('answers 502 for a payload that is not JSON or a result with a bad field', () => {
    assertInternalError('2.0', 'not json', /not valid JSON/);
    assertInternalError('2.0', '', /not valid JSON/);
    assertInternalError('2.0', '{"statusCode":"abc"}', /statusCode/);
    assertInternalError('2.0', '{"statusCode":700}', /statusCode/);
    assertInternalError('2.0', '{"statusCode":200,"body":{"a":1}}', /body must be a string/);
    assertInternalError('2.0', '{"statusCode":200,"cookies":"a=1"}', /cookies/);
    assertInternalError('2.0', '{"statusCode":200,"headers":{"x":{}}}', /header "x"/);
  });
});

describe('mapResult 1.0', () => {
  it('merges headers and multiValueHeaders, the multi values winning for the same name', () => {
    const response = v1({
      statusCode: 200,
      headers: { 'Content-Type': 'text/plain', 'Set-Cookie': 'lost=1' },
      multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
      body: 'ok',
    });
    assert.deepEqual(response.headers, [['Content-Type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
    assert.equal(response.body.toString(), 'ok');
  });

  it('accepts a missing body as empty and decodes a base64 one', () => {
    assert.equal(v1({ statusCode: 204 }).body.length, 0);
    assert.equal(v1({ statusCode: 200, body: 'aGk=', isBase64Encoded: true }).body.toString(), 'hi');
  });

  it('answers 502 when statusCode is missing, since 1.0 infers nothing', () => {
    assertInternalError('1.0', '{"message":"hi"}', /statusCode/);
    assertInternalError('1.0', '"hi"', /statusCode/);
    assertInternalError('1.0', '{"statusCode":200,"multiValueHeaders":{"a":"b"}}', /must be an array/);
    assertInternalError('1.0', '{"statusCode":200,"isBase64Encoded":"yes","body":""}', /isBase64Encoded/);
  });
});

describe('gatewayErrorResponse', () => {
  it('answers each gateway failure with its status and JSON message', () => {
    const cases = [
      ['functionError', 502, 'Internal Server Error'],
      ['timeout', 504, 'Endpoint request timed out'],
      ['throttled', 429, 'Too Many Requests'],
      ['tooLarge', 413, 'Request Entity Too Large'],
      ['notFound', 404, 'Not Found'],
    ] as const;
    for (const [kind, status, message] of cases) {
      const response = gatewayErrorResponse(kind);
      assert.equal(response.statusCode, status, kind);
      assert.deepEqual(JSON.parse(response.body.toString()), { message });
      assert.deepEqual(response.headers, [['content-type', 'application/json']]);
    }
  });
});
