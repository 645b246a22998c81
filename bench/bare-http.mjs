// Reference point for the gateway bench: a bare node:http server answering the same JSON, under
// wrk at 16 connections; prints requests/s and this process's CPU per request.
// Run: node_modules/.bin/node bench/bare-http.mjs (needs wrk).
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
const run = promisify(execFile);
const body = Buffer.from('{"message":"hello"}');
const server = http.createServer((req, res) => { res.writeHead(200, ['content-type', 'application/json', 'content-length', String(body.length)]); res.end(body); });
await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
const address = /** @type {import('node:net').AddressInfo} */ (server.address());
const url = `http://127.0.0.1:${address.port}/hello`;
await run('wrk', ['-t1', '-c16', '-d2s', url]);
const t0 = process.cpuUsage();
const out = (await run('wrk', ['-t1', '-c16', '-d5s', url])).stdout;
const t1 = process.cpuUsage(t0);
const reqs = Number(/(\d+) requests in/.exec(out)?.[1]);
console.log(out.split('\n').find((l) => /Requests\/sec/.test(l)), 'cpu ms/request', ((t1.user + t1.system) / 1000 / reqs).toFixed(3));
server.close();
