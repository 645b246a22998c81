import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLaambdaError } from './errors.ts';
import { parseProcfile } from './procfile.ts';

const fails = (text: string, pattern: RegExp) =>
  assert.throws(
    () => parseProcfile(text),
    (error) => isLaambdaError(error) && error.code === 'ERR_APP_PROCFILE_INVALID' && pattern.test(error.message),
  );

describe('parseProcfile', () => {
  it('reads one function per line, skipping comments and blank lines', () => {
    const entries = parseProcfile('# api\nhello: index.handler\n\nusers: src/api/users.handler\r\n');
    assert.deepEqual(entries, [
      { name: 'hello', handler: 'index.handler', line: 2 },
      { name: 'users', handler: 'src/api/users.handler', line: 4 },
    ]);
  });

  it('names the line of a line without a colon', () => fails('hello: a.b\nworld index.handler', /Procfile:2/));
  it('rejects a handler without a function part', () => fails('hello: index', /module\.function/));
  it('rejects a bad function name', () => fails('hel lo: index.handler', /function name/));
  it('rejects a function defined twice', () => fails('a: x.y\na: x.z', /already defined on line 1/));
  it('rejects a Procfile with no function', () => fails('# nothing\n', /declares no function/));
});
