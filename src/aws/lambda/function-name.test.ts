import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseFunctionRef } from './function-name.ts';

describe('parseFunctionRef', () => {
  const ref = (raw: string, qualifier: string | null = null) => parseFunctionRef(raw, qualifier);

  it('reads a plain name as the live function', () => {
    assert.deepEqual(ref('orders'), { ok: true, name: 'orders', qualifier: undefined, requestedQualifier: undefined });
  });

  it('reads NAME:QUALIFIER, a partial ARN and a full ARN (percent-encoded as the SDKs send it)', () => {
    assert.deepEqual(ref('orders:3'), { ok: true, name: 'orders', qualifier: '3', requestedQualifier: '3' });
    assert.deepEqual(ref('000000000000:function:orders:prod'), { ok: true, name: 'orders', qualifier: 'prod', requestedQualifier: 'prod' });
    assert.deepEqual(ref(encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:orders:7')), {
      ok: true,
      name: 'orders',
      qualifier: '7',
      requestedQualifier: '7',
    });
    assert.deepEqual(ref('arn:aws-cn:lambda:cn-north-1:000000000000:function:orders'), {
      ok: true,
      name: 'orders',
      qualifier: undefined,
      requestedQualifier: undefined,
    });
  });

  it('treats $LATEST as the live function but remembers it was asked for', () => {
    assert.deepEqual(ref('orders', '$LATEST'), { ok: true, name: 'orders', qualifier: undefined, requestedQualifier: '$LATEST' });
    assert.deepEqual(ref('orders:$LATEST'), { ok: true, name: 'orders', qualifier: undefined, requestedQualifier: '$LATEST' });
  });

  it('takes ?Qualifier= and accepts it when the name says the same', () => {
    assert.deepEqual(ref('orders', '3'), { ok: true, name: 'orders', qualifier: '3', requestedQualifier: '3' });
    assert.deepEqual(ref('orders:3', '3'), { ok: true, name: 'orders', qualifier: '3', requestedQualifier: '3' });
  });

  it('refuses a name and ?Qualifier= that disagree, in AWS words', () => {
    assert.deepEqual(ref('orders:3', '4'), {
      ok: false,
      message: 'The derived qualifier from the function name does not match the specified qualifier.',
    });
  });
});
