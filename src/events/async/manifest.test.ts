// laambda.json `functions.NAME.async`: parsed into AsyncConfig, with errors naming the path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asyncDestinationIssues, parseManifest } from '../../build/manifest.ts';

const manifest = (async: unknown) => JSON.stringify({ functions: { worker: { async } } });
const errorOf = (text: string) => {
  try {
    parseManifest(text);
  } catch (error) {
    return (error as Error).message;
  }
  return assert.fail('expected an error');
};

describe('laambda.json async settings', () => {
  it('fills in Lambda defaults and parses destinations', () => {
    assert.deepEqual(parseManifest(manifest({})).functions.worker?.async, { maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 });
    const parsed = parseManifest(manifest({ maximumRetryAttempts: 0, maximumEventAge: 60, onSuccess: 'queue:done', onFailure: 'function:dlq' }));
    assert.deepEqual(parsed.functions.worker?.async, {
      maximumRetryAttempts: 0,
      maximumEventAgeSeconds: 60,
      onSuccess: { kind: 'queue', name: 'done' },
      onFailure: { kind: 'function', name: 'dlq' },
    });
  });

  it('rejects out-of-range settings and malformed destinations', () => {
    assert.match(errorOf(manifest({ maximumRetryAttempts: 3 })), /functions\.worker\.async\.maximumRetryAttempts: must be a whole number from 0 to 2/);
    assert.match(errorOf(manifest({ maximumEventAge: 59 })), /async\.maximumEventAge: must be a whole number from 60 to 21600/);
    assert.match(errorOf(manifest({ onFailure: 'sns:topic' })), /async\.onFailure: must be "function:NAME" or "queue:NAME"/);
    assert.match(errorOf(manifest({ onFailure: 'queue:jobs.fifo' })), /FIFO queues cannot be destinations/);
    assert.match(errorOf(manifest({ retries: 1 })), /unknown key "retries"/);
  });

  it('names destinations that are not functions of the app', () => {
    const parsed = parseManifest(manifest({ onSuccess: 'function:worker', onFailure: 'function:dlg' }));
    assert.deepEqual(asyncDestinationIssues(parsed, ['worker', 'dlq']), [
      { path: ['functions', 'worker', 'async', 'onFailure'], message: 'no function "dlg" in the app (functions: worker, dlq) (did you mean "dlq"?)' },
    ]);
  });
});
