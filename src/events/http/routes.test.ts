import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLaambdaError } from '../../core/errors.ts';
import { createRouter, parseRoute } from './routes.ts';

function router(...keys: string[]) {
  return createRouter(keys.map((routeKey) => ({ routeKey, target: routeKey })));
}

function rejects(key: string, pattern: RegExp) {
  assert.throws(
    () => parseRoute(key),
    (error: unknown) => isLaambdaError(error) && pattern.test(error.message) && error.message.includes(key),
  );
}

describe('parseRoute', () => {
  it('parses a method, literal segments, a variable and a greedy variable', () => {
    const route = parseRoute('get /files/{owner}/{proxy+}');
    assert.equal(route.key, 'GET /files/{owner}/{proxy+}');
    assert.equal(route.method, 'GET');
    assert.deepEqual(route.segments, [
      { kind: 'literal', value: 'files' },
      { kind: 'param', name: 'owner' },
      { kind: 'greedy', name: 'proxy' },
    ]);
  });

  it('parses ANY, the root path and $default', () => {
    assert.equal(parseRoute('ANY /').segments.length, 0);
    const fallback = parseRoute('$default');
    assert.equal(fallback.isDefault, true);
    assert.equal(fallback.path, undefined);
  });

  it('rejects a key without a method or path, naming the route', () => {
    rejects('/pets', /expected "METHOD \/path"/);
    rejects('GET /a /b', /expected "METHOD \/path"/);
  });

  it('rejects an unknown method and lists the known ones', () => {
    rejects('FETCH /pets', /unknown method "FETCH".*GET, POST/);
  });

  it('rejects a path that does not start with / or has empty segments', () => {
    rejects('GET pets', /must start with \//);
    rejects('GET /pets//food', /empty segment/);
    rejects('GET /pets/', /empty segment/);
  });

  it('rejects a greedy variable that is not last, partial braces and repeated names', () => {
    rejects('GET /{proxy+}/more', /must be the last segment/);
    rejects('GET /pets/id{id}', /whole variable/);
    rejects('GET /{id}/x/{id}', /appears twice/);
  });
});

describe('createRouter', () => {
  it('rejects two routes with the same method and path shape', () => {
    assert.throws(() => router('GET /pets/{id}', 'GET /pets/{petId}'), /overlaps the route "GET \/pets\/\{id\}"/);
  });

  it('matches the AWS routing example with the most specific route first', () => {
    const r = router('ANY /{proxy+}', 'GET /pets/{proxy+}', 'GET /pets/dog/{id}', 'GET /pets/dog/1', '$default');
    assert.equal(r.match('GET', '/pets/dog/1')?.target, 'GET /pets/dog/1');
    assert.equal(r.match('GET', '/pets/dog/2')?.target, 'GET /pets/dog/{id}');
    assert.equal(r.match('GET', '/pets/cat/1')?.target, 'GET /pets/{proxy+}');
    assert.equal(r.match('POST', '/pets/cat/1')?.target, 'ANY /{proxy+}');
    assert.equal(r.match('GET', '/')?.target, '$default');
  });

  it('prefers a named method over ANY on the same path', () => {
    const r = router('ANY /pets', 'POST /pets');
    assert.equal(r.match('post', '/pets')?.target, 'POST /pets');
    assert.equal(r.match('DELETE', '/pets')?.target, 'ANY /pets');
  });

  it('prefers a literal over a variable and a variable over a greedy one', () => {
    const r = router('GET /{proxy+}', 'GET /{id}', 'GET /me');
    assert.equal(r.match('GET', '/me')?.target, 'GET /me');
    assert.equal(r.match('GET', '/you')?.target, 'GET /{id}');
    assert.equal(r.match('GET', '/you/too')?.target, 'GET /{proxy+}');
  });

  it('does not match a greedy variable against zero segments', () => {
    const r = router('ANY /hello', 'ANY /hello/{proxy+}');
    assert.equal(r.match('GET', '/hello')?.target, 'ANY /hello');
    assert.deepEqual(r.match('GET', '/hello/a/b')?.pathParameters, { proxy: 'a/b' });
    assert.equal(router('ANY /hello/{proxy+}').match('GET', '/hello'), undefined);
  });

  it('returns URL-decoded path parameters', () => {
    const r = router('GET /users/{name}/files/{path+}');
    assert.deepEqual(r.match('GET', '/users/J%C3%BCrgen%20K/files/a%2Fb/c%20d')?.pathParameters, {
      name: 'Jürgen K',
      path: 'a/b/c d',
    });
  });

  it('keeps a malformed escape as sent', () => {
    assert.deepEqual(router('GET /{id}').match('GET', '/%zz')?.pathParameters, { id: '%zz' });
  });

  it('returns undefined when nothing matches and there is no $default', () => {
    const r = router('GET /pets');
    assert.equal(r.match('POST', '/pets'), undefined);
    assert.equal(r.match('GET', '/pets/1'), undefined);
    assert.equal(r.match('GET', '/'), undefined);
  });

  it('ignores a query string left on the path', () => {
    assert.equal(router('GET /pets').match('GET', '/pets?limit=1')?.target, 'GET /pets');
  });

  it('lists its routes from most to least specific', () => {
    const r = router('$default', 'ANY /{proxy+}', 'GET /a');
    assert.deepEqual(r.routes.map((route) => route.key), ['GET /a', 'ANY /{proxy+}', '$default']);
  });
});
