// The canonical pieces, and whole requests from AWS's own SigV4 documentation examples.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { canonicalHeaders, canonicalQuery, canonicalUri, parseAmzDate, parseQuery, uriEncode } from './canonical.ts';
import { verifySigV4 } from './index.ts';

describe('canonical request pieces', () => {
  it('encodes everything but the RFC 3986 unreserved characters', () => {
    assert.equal(uriEncode("a-_.~ !'()*/:+=ü"), "a-_.~%20%21%27%28%29%2A%2F%3A%2B%3D%C3%BC");
  });

  it('double-encodes a Lambda ARN path as AWS canonicalises it', () => {
    // The canonical URI the AWS SDK for Java logged for this Invoke (aws/aws-sdk-java#2450).
    const raw = '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A370281197858%3Afunction%3Adevblr-arc-video-converter/invocations';
    assert.equal(
      canonicalUri(raw, 'lambda'),
      '/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A370281197858%253Afunction%253Adevblr-arc-video-converter/invocations',
    );
  });

  it('removes empty, . and .. segments except for S3', () => {
    assert.equal(canonicalUri('/a//b/./c/../d/', 'lambda'), '/a/b/d/');
    assert.equal(canonicalUri('', 'sqs'), '/');
    assert.equal(canonicalUri('/bucket/a//b/./c/../d', 's3'), '/bucket/a//b/./c/../d');
  });

  it('sorts query pairs by name then value, keeping repeated names and empty values', () => {
    const pairs = parseQuery('b=2&a=z&b=1&flag&c=%7E+x%2F');
    assert.equal(canonicalQuery(pairs), 'a=z&b=1&b=2&c=~%2Bx%2F&flag=');
    assert.equal(canonicalQuery(parseQuery('X-Amz-Signature=abc&a=1'), 'X-Amz-Signature'), 'a=1');
  });

  it('trims and collapses header values and joins repeated ones with commas', () => {
    const headers = { host: 'example.com', 'x-amz-meta-a': ['  one  two ', 'three'], 'x-amz-meta-b': '\tb\t c ' };
    assert.equal(
      canonicalHeaders(headers, ['host', 'x-amz-meta-a', 'x-amz-meta-b']),
      'host:example.com\nx-amz-meta-a:one two,three\nx-amz-meta-b:b c\n',
    );
  });

  it('reads only well-formed ISO 8601 basic timestamps', () => {
    assert.equal(parseAmzDate('20130524T000000Z'), Date.UTC(2013, 4, 24));
    assert.equal(parseAmzDate('2013-05-24T00:00:00Z'), undefined);
    assert.equal(parseAmzDate('20130232T000000Z'), undefined);
  });
});

// The example credentials and requests of the Amazon S3 API Reference, "Signature Calculations
// for the Authorization Header" and "Authenticating Requests: Using Query Parameters".
const EXAMPLE_KEY = { id: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const exampleOptions = {
  secretFor: async (id: string) => (id === EXAMPLE_KEY.id ? EXAMPLE_KEY.secret : undefined),
  now: () => Date.UTC(2013, 4, 24, 0, 0, 30),
};

describe('AWS documentation examples', () => {
  it('verifies the S3 GET Object example (header auth)', async () => {
    const outcome = await verifySigV4(
      {
        method: 'GET',
        rawPath: '/test.txt',
        rawQuery: '',
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          range: 'bytes=0-9',
          'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          'x-amz-date': '20130524T000000Z',
          authorization:
            'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
        },
      },
      exampleOptions,
    );
    assert.deepEqual(outcome, { ok: true, accessKeyId: EXAMPLE_KEY.id, region: 'us-east-1', service: 's3', presigned: false });
  });

  it('verifies the S3 presigned URL example (UNSIGNED-PAYLOAD, 24 h)', async () => {
    const rawQuery =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const request = { method: 'GET', rawPath: '/test.txt', rawQuery, headers: { host: 'examplebucket.s3.amazonaws.com' } };
    assert.deepEqual(await verifySigV4(request, exampleOptions), {
      ok: true,
      accessKeyId: EXAMPLE_KEY.id,
      region: 'us-east-1',
      service: 's3',
      presigned: true,
    });
    const dayLater = { ...exampleOptions, now: () => Date.UTC(2013, 4, 25, 0, 0, 1) };
    assert.equal((await verifySigV4(request, dayLater)).ok, false);
  });
});
