// The processor on its own: the parser, and the handler against a JSON-lines TCP listener (where
// logstash would be) with a tiny HTTP server standing in for S3's GetObject. The platform test
// (test/e2e/elb-example.test.ts in the laambda repo) runs it behind real S3 notifications.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeKey, handler } from '../index.mjs';
import { parseLine, splitFields } from '../parse.mjs';

// From the Classic Load Balancer guide's examples, one per listener kind.
const CLASSIC_HTTP =
  '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -';
const CLASSIC_HTTPS =
  '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2';
const CLASSIC_TCP =
  '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -';
const CLASSIC_NO_BACKEND =
  '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 - -1 -1 -1 503 0 0 0 "GET http://www.example.com:80/ HTTP/1.1" "Mozilla/5.0 (X11; \\"quoted\\") x" - -';
const ALB =
  'https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_123456';

describe('parseLine', () => {
  it('reads a Classic HTTPS line into typed fields', () => {
    assert.deepEqual(parseLine(CLASSIC_HTTPS), {
      format: 'classic',
      '@timestamp': '2015-05-13T23:39:43.945958Z',
      elb: 'my-loadbalancer',
      client_ip: '192.168.131.39',
      client_port: 2817,
      backend_ip: '10.0.0.1',
      backend_port: 80,
      request_processing_time: 0.000086,
      backend_processing_time: 0.001048,
      response_processing_time: 0.001337,
      elb_status_code: 200,
      backend_status_code: 200,
      received_bytes: 0,
      sent_bytes: 57,
      request_method: 'GET',
      request_url: 'https://www.example.com:443/',
      request_protocol: 'HTTP/1.1',
      user_agent: 'curl/7.38.0',
      ssl_cipher: 'DHE-RSA-AES128-SHA',
      ssl_protocol: 'TLSv1.2',
    });
    assert.equal(parseLine(CLASSIC_HTTP).ssl_cipher, null);
  });

  it('reads TCP listener lines and requests no backend answered', () => {
    const tcp = parseLine(CLASSIC_TCP);
    assert.equal(tcp.request_method, null);
    assert.equal(tcp.request_url, null);
    assert.equal(tcp.elb_status_code, null);
    assert.equal(tcp.user_agent, null);
    const failed = parseLine(CLASSIC_NO_BACKEND);
    assert.equal(failed.backend_ip, null);
    assert.equal(failed.backend_processing_time, -1);
    assert.equal(failed.elb_status_code, 503);
    assert.equal(failed.user_agent, 'Mozilla/5.0 (X11; "quoted") x');
  });

  it('reads an Application Load Balancer line with its extra fields', () => {
    const entry = parseLine(ALB);
    assert.equal(entry.format, 'alb');
    assert.equal(entry.type, 'https');
    assert.equal(entry.elb, 'app/my-loadbalancer/50dc6c495c0c9188');
    assert.equal(entry.backend_processing_time, 0.048);
    assert.equal(entry.trace_id, 'Root=1-58337281-1d84f3d73c47ec4e58577259');
    assert.equal(entry.matched_rule_priority, 1);
    assert.equal(entry.actions_executed, 'authenticate,forward');
    assert.equal(entry.redirect_url, null);
    assert.equal(entry.target_status_code_list, '200');
    assert.equal(entry.conn_trace_id, 'TID_123456');
  });

  it('refuses lines that are not access-log lines, saying why', () => {
    assert.throws(() => parseLine('hello world'), /not a Classic or Application Load Balancer access-log line/);
    assert.throws(() => parseLine(CLASSIC_HTTP.replace(' 200 200 ', ' 200 OK ')), /backend_status_code is not a number/);
    assert.throws(() => parseLine(CLASSIC_HTTP.slice(0, -20)), /unterminated quoted field/);
    assert.deepEqual(splitFields('a "b \\"c\\" d" "" z'), ['a', 'b "c" d', '', 'z']);
  });
});

/** Where logstash would be: counts JSON lines per connection. */
function startListener() {
  const state = { lines: [], bad: 0, connections: 0 };
  const server = net.createServer((socket) => {
    state.connections += 1;
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('data', (text) => {
      const parts = (rest + text).split('\n');
      rest = parts.pop();
      for (const part of parts) {
        try {
          state.lines.push(JSON.parse(part));
        } catch {
          state.bad += 1;
        }
      }
    });
    socket.on('end', () => socket.end());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ state, server, port: server.address().port })));
}

function s3Event(bucket, encodedKey, eventName = 'ObjectCreated:Put') {
  return { Records: [{ eventSource: 'aws:s3', eventName, s3: { bucket: { name: bucket }, object: { key: encodedKey } } }] };
}

function logLines(count) {
  const lines = [];
  for (let i = 0; i < count; i += 1) lines.push(CLASSIC_HTTPS.replace('2817', String(1024 + i)));
  return lines;
}

describe('handler', () => {
  const objects = new Map();
  let s3;
  let logstash;
  const env = { ...process.env };
  const logged = [];
  const log = console.log;

  before(async () => {
    s3 = http.createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const body = objects.get(path);
      if (req.method !== 'GET' || body === undefined) {
        res.writeHead(404, { 'content-type': 'application/xml' }).end('<Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise((resolve) => s3.listen(0, '127.0.0.1', resolve));
    logstash = await startListener();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${s3.address().port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      LOGSTASH_HOST: '127.0.0.1',
      LOGSTASH_PORT: String(logstash.port),
      LOGSTASH_POOL: '3',
    });
    console.log = (line) => logged.push(line);
  });
  after(async () => {
    console.log = log;
    process.env = env;
    s3.closeAllConnections();
    await new Promise((resolve) => s3.close(resolve));
    await new Promise((resolve) => logstash.server.close(resolve));
  });

  it('decodes S3 event keys (+ is a space)', () => {
    assert.equal(decodeKey('elb/2026/my+file%2B1.log'), 'elb/2026/my file+1.log');
  });

  it('has every line of a small file at logstash when it returns (the story bug)', async () => {
    logstash.state.lines.length = 0;
    objects.set('/elb-logs/elb/small file.log', Buffer.from(`${logLines(7).join('\n')}\n`));
    const summary = await handler(s3Event('elb-logs', 'elb/small+file.log'));
    assert.equal(logstash.state.lines.length, 7);
    assert.equal(logstash.state.lines[6].client_port, 1030);
    assert.equal(summary.linesSent, 7);
    assert.equal(summary.connectionsCreated, summary.connectionsDestroyed);
    assert.deepEqual(JSON.parse(logged.at(-1)), summary);
  });

  it('streams a large gzipped file over at most LOGSTASH_POOL connections and counts a bad line', async () => {
    logstash.state.lines.length = 0;
    const before = logstash.state.connections;
    const lines = logLines(20_000);
    lines.splice(100, 0, 'this is not an access log line');
    objects.set('/elb-logs/elb/big.log.gz', gzipSync(`${lines.join('\r\n')}\r\n`));
    const summary = await handler(s3Event('elb-logs', 'elb/big.log.gz'));
    assert.equal(logstash.state.lines.length, 20_000);
    assert.equal(logstash.state.bad, 0);
    assert.deepEqual(
      { encountered: summary.linesEncountered, parsed: summary.linesParsed, sent: summary.linesSent, failed: summary.parseFailures },
      { encountered: 20_001, parsed: 20_000, sent: 20_000, failed: 1 },
    );
    assert.match(summary.lastFailures[0], /line 101: not a Classic/);
    assert.ok(summary.connectionsCreated >= 1 && summary.connectionsCreated <= 3, `${summary.connectionsCreated} connections`);
    assert.equal(logstash.state.connections - before, summary.connectionsCreated);
    assert.equal(summary.connectionsDestroyed, summary.connectionsCreated);
  });

  it('ignores removal events', async () => {
    const summary = await handler(s3Event('elb-logs', 'elb/gone.log', 'ObjectRemoved:Delete'));
    assert.equal(summary.objects, 0);
  });

  it('fails the invocation when logstash cannot be reached, after logging the summary', async () => {
    const closed = net.createServer();
    await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = closed.address().port;
    await new Promise((resolve) => closed.close(resolve));
    process.env.LOGSTASH_PORT = String(port);
    try {
      objects.set('/elb-logs/elb/unsent.log', Buffer.from(`${logLines(3).join('\n')}\n`));
      await assert.rejects(handler(s3Event('elb-logs', 'elb/unsent.log')), { code: 'ECONNREFUSED' });
      const summary = JSON.parse(logged.at(-1));
      assert.equal(summary.linesParsed, 3);
      assert.equal(summary.linesSent, 0);
      assert.equal(summary.sendFailures, 3);
      assert.match(summary.lastFailures.join('\n'), /ECONNREFUSED/);
    } finally {
      process.env.LOGSTASH_PORT = String(logstash.port);
    }
  });

  it('fails when the object is missing', async () => {
    await assert.rejects(handler(s3Event('elb-logs', 'elb/missing.log')), { name: 'NoSuchKey' });
  });
});
