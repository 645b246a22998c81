import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, LaambdaError } from './errors.ts';

const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map(
  [...docs.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \| (user|system) \| (.+) \|$/gm)].map((m) => [
    m[1],
    { status: Number(m[2]), kind: m[3], fix: m[4] },
  ]),
);

describe('error registry', () => {
  it('has a row in docs/errors.md for every code, with the same status, kind and fix', () => {
    for (const [code, definition] of Object.entries(ERROR_CODES)) {
      assert.deepEqual(documented.get(code), { status: definition.status, kind: definition.kind, fix: definition.fix }, code);
    }
  });

  it('documents no code the registry lacks', () => {
    for (const code of documented.keys()) assert.ok(code !== undefined && code in ERROR_CODES, `${code} is documented but not defined`);
  });

  it('names codes ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ERROR_CODES)) assert.match(code, /^ERR_[A-Z]+_[A-Z_]+$/);
  });

  it('carries status, kind, fix and cause', () => {
    const cause = new Error('root');
    const error = new LaambdaError('ERR_INVOKE_THROTTLED', 'too many', { cause });
    assert.equal(error.status, 429);
    assert.equal(error.kind, 'user');
    assert.equal(error.cause, cause);
    assert.match(error.fix, /concurrency/);
  });
});
