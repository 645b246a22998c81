import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isLaambdaError } from '../core/errors.ts';
import { type Manifest, parseManifest, renderManifestSchema } from './manifest.ts';

const parse = (value: unknown): Manifest => parseManifest(JSON.stringify(value));

/** The error message for a manifest, asserting it is ERR_APP_MANIFEST_INVALID. */
function errorOf(value: unknown): string {
  try {
    parseManifest(typeof value === 'string' ? value : JSON.stringify(value));
  } catch (error) {
    assert.ok(isLaambdaError(error) && error.code === 'ERR_APP_MANIFEST_INVALID', String(error));
    return error.message;
  }
  assert.fail('expected laambda.json to be rejected');
}

const fn = (settings: unknown) => ({ functions: { hello: settings } });
const events = (...list: unknown[]) => fn({ events: list });
const jwt = { type: 'jwt', issuer: 'https://issuer.example.com', audience: ['api'], jwksUrl: 'https://issuer.example.com/jwks.json' };

describe('parseManifest', () => {
  it('maps a full laambda.json onto the app types, filling defaults', () => {
    const manifest = parse({
      $schema: './node_modules/laambda/schema/laambda.schema.json',
      name: 'shop',
      http: {
        cors: { allowOrigins: ['https://example.com'], maxAge: 600 },
        authorizers: { jwtAuth: jwt, tokenAuth: { type: 'token', function: 'authorize' } },
      },
      functions: {
        hello: {
          runtime: 'python',
          memory: 256,
          timeout: 10,
          concurrency: 5,
          environment: { GREETING: 'hi' },
          url: true,
          events: [
            'get /hello',
            { http: 'GET /users/{id}', payload: '1.0', authorizer: 'jwtAuth', scopes: ['users:read'] },
            { queue: 'orders', maximumBatchingWindow: 2 },
            { bucket: 'uploads', prefix: 'logs/' },
            { schedule: 'rate(5 minutes)', input: { any: 'json' } },
          ],
        },
      },
    });
    assert.equal(manifest.name, 'shop');
    assert.deepEqual(manifest.http.cors, {
      allowOrigins: ['https://example.com'],
      allowMethods: [],
      allowHeaders: [],
      exposeHeaders: [],
      allowCredentials: false,
      maxAge: 600,
    });
    assert.deepEqual(manifest.http.authorizers.tokenAuth, {
      type: 'token',
      function: 'authorize',
      identitySource: '$request.header.Authorization',
      ttlSeconds: 300,
    });
    const hello = manifest.functions.hello!;
    assert.deepEqual(
      { runtime: hello.runtime, memoryMB: hello.memoryMB, timeoutS: hello.timeoutS, concurrency: hello.concurrency },
      { runtime: 'python', memoryMB: 256, timeoutS: 10, concurrency: 5 },
    );
    assert.deepEqual(hello.environment, { GREETING: 'hi' });
    assert.deepEqual(hello.url, { authType: 'NONE' });
    assert.deepEqual(hello.events, [
      { kind: 'http', route: 'GET /hello', payloadVersion: '2.0' },
      { kind: 'http', route: 'GET /users/{id}', payloadVersion: '1.0', authorizer: 'jwtAuth', scopes: ['users:read'] },
      { kind: 'queue', queue: 'orders', batchSize: 10, maximumBatchingWindowSeconds: 2, reportBatchItemFailures: false, enabled: true },
      { kind: 'bucket', bucket: 'uploads', events: ['s3:ObjectCreated:*'], prefix: 'logs/' },
      { kind: 'schedule', expression: 'rate(5 minutes)', input: { any: 'json' }, enabled: true },
    ]);
  });

  it('accepts an empty object', () => {
    assert.deepEqual(parse({}), { http: { authorizers: {} }, functions: {} });
  });

  it('names the file, the JSON path, the range and the value of a number out of range', () => {
    assert.equal(errorOf(fn({ memory: 64 })), 'laambda.json: functions.hello.memory: must be a whole number from 128 to 10240 (got 64)');
    assert.match(errorOf(fn({ timeout: 1.5 })), /functions\.hello\.timeout: must be a whole number from 1 to 900 \(got 1\.5\)/);
    assert.equal(errorOf(fn({ memory: 64.5 })).split('\n').length, 1);
    assert.match(errorOf(fn({ concurrency: 0 })), /functions\.hello\.concurrency: must be a whole number from 1/);
  });

  it('rejects unknown keys with a did-you-mean', () => {
    assert.equal(errorOf(fn({ timout: 3 })), 'laambda.json: functions.hello: unknown key "timout"; did you mean "timeout"?');
    assert.match(errorOf({ function: {} }), /^laambda.json: unknown key "function"; did you mean "functions"\?$/);
    assert.match(errorOf({ zzz: 1 }), /unknown key "zzz"; expected \$schema, name, http, functions/);
  });

  it('lists every problem, one line each', () => {
    const lines = errorOf(fn({ memory: 64, timeout: 0, runtime: 'java' })).split('\n');
    assert.equal(lines.length, 3);
    assert.ok(lines.every((line) => line.startsWith('laambda.json: functions.hello.')));
  });

  it('names line and column of invalid JSON', () => {
    assert.match(errorOf('{\n  "name": "shop",\n}'), /^laambda\.json:3:1: invalid JSON: /);
    assert.match(errorOf('{\n "name": "shop"'), /^laambda\.json:2:16: invalid JSON: /);
    assert.match(errorOf('[]'), /laambda\.json: must be a JSON object \(got a list\)/);
  });

  it('validates environment names and values', () => {
    assert.match(errorOf(fn({ environment: { AWS_REGION: 'x' } })), /environment\.AWS_REGION: the name is reserved by Lambda/);
    assert.match(errorOf(fn({ environment: { '1A': 'x' } })), /environment\["1A"\]: the name must start with a letter/);
    assert.match(errorOf(fn({ environment: { PORT: 80 } })), /environment\.PORT: must be a string \(quote numbers and booleans\) \(got 80\)/);
    assert.match(errorOf(fn({ environment: { BIG: 'x'.repeat(5000) } })), /Lambda allows 4096 in total/);
  });

  it('reads url true as a public function URL and validates the object form', () => {
    assert.deepEqual(parse(fn({ url: { authType: 'AWS_IAM' } })).functions.hello?.url, { authType: 'AWS_IAM' });
    assert.equal(parse(fn({ url: false })).functions.hello?.url, undefined);
    assert.match(errorOf(fn({ url: { authType: 'IAM' } })), /functions\.hello\.url\.authType: must be "NONE" or "AWS_IAM" \(got "IAM"\)/);
  });
});

describe('parseManifest: http events', () => {
  it('validates route keys with the gateway route parser', () => {
    assert.match(errorOf(events('GET hello')), /events\[0\]: invalid route: the path "hello" must start with \/ \(got "GET hello"\)/);
    assert.match(errorOf(events({ http: 'FETCH /x' })), /events\[0\]\.http: invalid route: unknown method "FETCH"/);
  });

  it('explains an event that is none or several kinds, and typos inside one kind', () => {
    assert.match(errorOf(events({ foo: 1 })), /events\[0\]: must be a route like "GET \/hello" or an object with one of http, queue, bucket or schedule/);
    assert.match(errorOf(events({ http: 'GET /x', queue: 'q' })), /events\[0\]: declares http and queue; give one of them per event/);
    assert.match(errorOf(events({ http: 'GET /x', paylod: '1.0' })), /events\[0\]: unknown key "paylod"; did you mean "payload"\?/);
  });

  it('requires a route authorizer to be declared, suggesting the closest name', () => {
    const message = errorOf({ ...events({ http: 'GET /x', authorizer: 'jwtAuht' }), http: { authorizers: { jwtAuth: jwt } } });
    assert.match(message, /events\[0\]\.authorizer: no authorizer "jwtAuht" under http\.authorizers \(declared: jwtAuth\) \(did you mean "jwtAuth"\?\)/);
  });

  it('allows scopes only with a JWT authorizer', () => {
    const http = { authorizers: { tokenAuth: { type: 'token', function: 'auth' }, jwtAuth: jwt } };
    assert.match(errorOf({ ...events({ http: 'GET /x', authorizer: 'tokenAuth', scopes: ['a'] }), http }), /scopes: scopes need a jwt authorizer; "tokenAuth" is a token authorizer/);
    assert.match(errorOf(events({ http: 'GET /x', scopes: ['a'] })), /scopes need a jwt authorizer; the route has no authorizer/);
    assert.doesNotThrow(() => parse({ ...events({ http: 'GET /x', authorizer: 'jwtAuth', scopes: ['a'] }), http }));
  });
});

describe('parseManifest: http settings', () => {
  const authorizer = (value: unknown) => parse({ http: { authorizers: { a: value } } }).http.authorizers.a;
  const authorizerError = (value: unknown) => errorOf({ http: { authorizers: { a: value } } });

  it('rejects credentials with the "*" origin, as AWS does', () => {
    assert.match(errorOf({ http: { cors: { allowOrigins: ['*'], allowCredentials: true } } }), /http\.cors\.allowCredentials: cannot be true when allowOrigins contains "\*"/);
    assert.match(errorOf({ http: { cors: { allowOrigins: ['https://a.com/'] } } }), /allowOrigins\[0\]: must be "\*" or an origin like https:\/\/example\.com \(no path\)/);
  });

  it('defaults a request authorizer to payload 2.0 and caches only when it has identity sources', () => {
    assert.deepEqual(authorizer({ type: 'request', function: 'auth' }), {
      type: 'request',
      function: 'auth',
      payloadVersion: '2.0',
      simpleResponses: false,
      identitySource: [],
      ttlSeconds: 0,
    });
    const cached = authorizer({ type: 'request', function: 'auth', identitySource: ['$request.querystring.token'] });
    assert.equal(cached?.type === 'request' ? cached.ttlSeconds : undefined, 300);
    assert.match(authorizerError({ type: 'request', function: 'auth', payloadVersion: '1.0', simpleResponses: true }), /a\.simpleResponses: is only allowed with payloadVersion "2\.0"/);
    assert.match(authorizerError({ type: 'request', function: 'auth', ttlSeconds: 4000, identitySource: ['$context.routeKey'] }), /a\.ttlSeconds: must be a whole number from 0 to 3600/);
  });

  it('accepts HTTP API and REST identity sources and nothing else', () => {
    const sources = ['$request.header.Authorization', '$request.querystring.t', '$context.identity.sourceIp', '$stageVariables.v', 'method.request.header.X-Key', 'method.request.querystring.t'];
    assert.doesNotThrow(() => authorizer({ type: 'request', function: 'auth', identitySource: sources }));
    assert.match(authorizerError({ type: 'request', function: 'auth', identitySource: ['header.Authorization'] }), /identitySource\[0\]: must be \$request\.header\.NAME/);
    assert.match(authorizerError({ type: 'token', function: 'auth', identitySource: '$request.querystring.t' }), /must be one header/);
  });

  it('checks token and JWT authorizers', () => {
    assert.match(authorizerError({ type: 'token', function: 'auth', validationExpression: '(' }), /validationExpression: must be a valid regular expression/);
    assert.match(authorizerError({ ...jwt, jwksFile: 'jwks.json' }), /http\.authorizers\.a: give exactly one of jwksUrl or jwksFile/);
    assert.match(authorizerError({ type: 'jwt', issuer: 'https://i', audience: ['x'] }), /give exactly one of jwksUrl or jwksFile/);
    assert.deepEqual(authorizer(jwt), { ...jwt, identitySource: '$request.header.Authorization' });
    assert.match(authorizerError({ type: 'tok' }), /http\.authorizers\.a\.type: must be "token", "request" or "jwt" \(got "tok"\)/);
    assert.match(authorizerError({ function: 'auth' }), /http\.authorizers\.a\.type: is required/);
  });
});

describe('parseManifest: queue, bucket and schedule events', () => {
  const only = (event: unknown) => parse(events(event)).functions.hello?.events?.[0];

  it('checks queue names and batching as Lambda does', () => {
    assert.match(errorOf(events({ queue: 'orders', batchSize: 0 })), /events\[0\]\.batchSize: must be a whole number from 1 to 10000 \(got 0\)/);
    assert.match(errorOf(events({ queue: 'orders', batchSize: 100 })), /maximumBatchingWindow: must be at least 1 when batchSize is over 10/);
    assert.match(errorOf(events({ queue: 'o.fifo', batchSize: 11, maximumBatchingWindow: 1 })), /batchSize: must be at most 10 for a FIFO queue/);
    assert.match(errorOf(events({ queue: 'bad name' })), /events\[0\]\.queue: must be a queue name/);
    assert.match(errorOf(events({ queue: 'q', maximumConcurrency: 1 })), /maximumConcurrency: must be a whole number from 2 to 1000/);
    assert.deepEqual(only({ queue: 'orders.fifo', maximumConcurrency: 2, reportBatchItemFailures: true, enabled: false }), {
      kind: 'queue',
      queue: 'orders.fifo',
      batchSize: 10,
      maximumBatchingWindowSeconds: 0,
      maximumConcurrency: 2,
      reportBatchItemFailures: true,
      enabled: false,
    });
  });

  it('checks bucket names and S3 event names', () => {
    assert.match(errorOf(events({ bucket: 'Uploads' })), /events\[0\]\.bucket: must be a bucket name/);
    assert.match(errorOf(events({ bucket: 'a..b' })), /events\[0\]\.bucket: must be a bucket name: no "\.\."/);
    assert.match(errorOf(events({ bucket: '192.168.1.1' })), /not an IP address/);
    assert.match(errorOf(events({ bucket: 'up', events: ['s3:ObjectCreated:Put'] })), /must be a bucket name/);
    assert.match(errorOf(events({ bucket: 'uploads', events: ['s3:ObjectCreated'] })), /events\[0\]\.events\[0\]: must be one of s3:ObjectCreated:\*/);
    assert.deepEqual(only({ bucket: 'uploads', events: ['s3:ObjectRemoved:Delete'], suffix: '.gz' }), {
      kind: 'bucket',
      bucket: 'uploads',
      events: ['s3:ObjectRemoved:Delete'],
      suffix: '.gz',
    });
  });

  it('checks the shape of schedule expressions', () => {
    assert.deepEqual(only({ schedule: 'cron(0 12 * * ? *)', enabled: false }), { kind: 'schedule', expression: 'cron(0 12 * * ? *)', enabled: false });
    assert.doesNotThrow(() => only({ schedule: 'rate(1 day)' }));
    assert.match(errorOf(events({ schedule: 'rate(1 minutes)' })), /schedule: write rate\(1 minute\): the unit is singular for 1/);
    assert.match(errorOf(events({ schedule: 'rate(5 hour)' })), /write rate\(5 hours\)/);
    assert.match(errorOf(events({ schedule: 'rate(0 minutes)' })), /the rate must be at least 1/);
    assert.match(errorOf(events({ schedule: 'cron(0 12 * * ?)' })), /cron needs six fields .*; this has 5/);
    assert.match(errorOf(events({ schedule: 'every 5 minutes' })), /must be rate\(N minutes\|hours\|days\) or cron\(/);
  });
});

describe('schema/laambda.schema.json', () => {
  const committed = readFileSync(new URL('../../schema/laambda.schema.json', import.meta.url), 'utf8');

  it('matches the zod schema', () => {
    assert.ok(
      committed === renderManifestSchema(),
      'schema/laambda.schema.json is out of date: run `node_modules/.bin/node scripts/generate-schema.ts` and commit the result',
    );
  });

  it('describes every property, so editors show help', () => {
    const undescribed: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${where}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      const properties = (node as { properties?: Record<string, { description?: string }> }).properties;
      for (const [key, value] of Object.entries(properties ?? {})) {
        if (typeof value.description !== 'string') undescribed.push(`${where}.${key}`);
      }
      for (const [key, value] of Object.entries(node)) walk(value, `${where}.${key}`);
    };
    walk(JSON.parse(committed), '$');
    assert.deepEqual(undescribed, []);
  });

  it('accepts the full example of docs/laambda-json.md', () => {
    const docs = readFileSync(new URL('../../docs/laambda-json.md', import.meta.url), 'utf8');
    const example = /## A full example\s+```json\n([\s\S]*?)```/.exec(docs)?.[1];
    assert.ok(example !== undefined, 'docs/laambda-json.md has a full example');
    assert.deepEqual(Object.keys(parseManifest(example).functions), ['users', 'orders', 'thumbnails', 'report']);
  });

  it('accepts the $schema key that points editors at it', () => {
    assert.deepEqual(parse({ $schema: './node_modules/laambda/schema/laambda.schema.json' }), { http: { authorizers: {} }, functions: {} });
  });
});
