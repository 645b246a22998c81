import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entrypointError, exitOutcome, parseFunctionError } from './outcomes.ts';

describe('exitOutcome', () => {
  const base = { code: null, signal: null, oom: false, requestId: 'r-1', initError: undefined } as const;

  it('words a non-zero exit as Lambda does', () => {
    const { error } = exitOutcome({ ...base, code: 1 });
    assert.deepEqual(error, { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: r-1 Error: Runtime exited with error: exit status 1' });
  });

  it('says an exit 0 mid-invocation gave no reason', () => {
    assert.match(exitOutcome({ ...base, code: 0 }).error.errorMessage, /Runtime exited without providing a reason/);
  });

  it('reports Runtime.OutOfMemory with the kill signal when the limit killed it', () => {
    const { error } = exitOutcome({ ...base, signal: 'SIGKILL', oom: true });
    assert.equal(error.errorType, 'Runtime.OutOfMemory');
    assert.match(error.errorMessage, /signal: killed/);
  });

  it('prefers the error the runtime reported at init', () => {
    const initError = { errorType: 'Runtime.HandlerNotFound', errorMessage: 'index.x is undefined or not exported' };
    assert.equal(exitOutcome({ ...base, code: 129, requestId: undefined, initError }).error, initError);
  });
});

describe('entrypointError and parseFunctionError', () => {
  it('tells a missing bootstrap from a non-executable one', () => {
    const missing = entrypointError('/app/bootstrap', Object.assign(new Error('x'), { code: 'ENOENT' }));
    const denied = entrypointError('/app/bootstrap', Object.assign(new Error('x'), { code: 'EACCES' }));
    assert.match(missing.errorMessage, /Couldn't find valid bootstrap/);
    assert.match(denied.errorMessage, /chmod \+x/);
    assert.equal(denied.errorType, 'Runtime.InvalidEntrypoint');
  });

  it('reads Node\'s trace and Python\'s stackTrace alike', () => {
    const node = parseFunctionError(Buffer.from('{"errorType":"Error","errorMessage":"m","trace":["a"]}'));
    const python = parseFunctionError(Buffer.from('{"errorType":"ValueError","errorMessage":"m","stackTrace":["b"]}'));
    assert.deepEqual(node?.stackTrace, ['a']);
    assert.deepEqual(python?.stackTrace, ['b']);
    assert.equal(parseFunctionError(Buffer.from('not json'))?.errorMessage, 'not json');
  });
});
