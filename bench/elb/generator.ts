// A deterministic Classic Load Balancer access log: the same seed writes the same bytes.
// Mixed methods, paths, status codes (with the odd request no backend answered), TLS and plain
// HTTP, user agents with spaces, parentheses and escaped quotes; about 300 bytes a line.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** The story's file: "lines encountered 76464". */
export const STORY_LINES = 76_464;

/** mulberry32: small, fast, and the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Weighted<T> = Array<[T, number]>;

const METHODS: Weighted<string> = [
  ['GET', 60],
  ['POST', 20],
  ['PUT', 8],
  ['DELETE', 5],
  ['PATCH', 4],
  ['HEAD', 2],
  ['OPTIONS', 1],
];
const STATUSES: Weighted<number> = [
  [200, 68],
  [201, 6],
  [204, 4],
  [301, 2],
  [304, 5],
  [400, 3],
  [401, 2],
  [403, 1],
  [404, 5],
  [409, 1],
  [429, 1],
  [500, 1],
  [502, 1],
];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'OrdersApp/4.12.0 (Android 14; Pixel 8; build \\"release\\") okhttp/4.12.0',
  'MyCompany \\"Integration\\" Client/2.3 (+https://example.com/bot)',
  'python-requests/2.32.3',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'Amazon CloudFront',
  'ELB-HealthChecker/1.0',
  '-',
];
const PATHS: Array<(r: () => number) => string> = [
  (r) => `/v1/customers/${int(r, 1000, 999_999)}/orders?page=${int(r, 1, 40)}&sort=created_at&direction=desc`,
  (r) => `/v1/orders/${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`,
  (r) => `/v2/search?q=${['red+shoes', 'winter%20jacket', 'usb-c+cable', 'coffee'][int(r, 0, 3)]}&limit=50&offset=${int(r, 0, 20) * 50}`,
  (r) => `/v1/products/SKU-${int(r, 10_000, 99_999)}/reviews?rating=${int(r, 1, 5)}&verified=true`,
  () => '/v1/sessions',
  () => '/health',
  (r) => `/static/js/app.${hex(r, 10)}.js`,
];
const CIPHERS: Array<[string, string]> = [
  ['ECDHE-RSA-AES128-GCM-SHA256', 'TLSv1.2'],
  ['ECDHE-RSA-AES256-GCM-SHA384', 'TLSv1.2'],
  ['TLS_AES_128_GCM_SHA256', 'TLSv1.3'],
];

function int(r: () => number, min: number, max: number): number {
  return min + Math.floor(r() * (max - min + 1));
}
function hex(r: () => number, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(r() * 16).toString(16);
  return out;
}
function pick<T>(r: () => number, weighted: Weighted<T>): T {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = r() * total;
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return weighted[weighted.length - 1]![0];
}
const seconds = (value: number): string => value.toFixed(6);

/** Log lines, in time order from 2026-11-22T00:00:00Z, about 12 per second. */
export function* elbLines(count: number, seed = 76_464): Generator<string> {
  const r = seededRandom(seed);
  let time = Date.UTC(2026, 10, 22) * 1000;
  for (let i = 0; i < count; i += 1) {
    time += int(r, 1, 160_000);
    const stamp = `${new Date(Math.floor(time / 1000)).toISOString().slice(0, 19)}.${String(time % 1_000_000).padStart(6, '0')}Z`;
    const client = `${int(r, 1, 223)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}:${int(r, 1024, 65_535)}`;
    const method = pick(r, METHODS);
    const tls = r() < 0.85;
    const url = `${tls ? 'https' : 'http'}://api.example.com:${tls ? 443 : 80}${PATHS[int(r, 0, PATHS.length - 1)]!(r)}`;
    const agent = USER_AGENTS[int(r, 0, USER_AGENTS.length - 1)]!;
    const [cipher, protocol] = tls ? CIPHERS[int(r, 0, CIPHERS.length - 1)]! : ['-', '-'];
    const received = method === 'GET' || method === 'HEAD' ? 0 : int(r, 40, 8000);
    // 0.5%: no backend answered (timeout or none healthy): -1 timings, ELB's own 503/504.
    if (r() < 0.005) {
      const status = r() < 0.5 ? 503 : 504;
      yield `${stamp} prod-api-elb ${client} - -1 -1 -1 ${status} - ${received} 0 "${method} ${url} HTTP/1.1" "${agent}" ${cipher} ${protocol}`;
      continue;
    }
    const backend = `10.0.${int(r, 1, 3)}.${int(r, 10, 30)}:8080`;
    const status = pick(r, STATUSES);
    const sent = status === 204 || status === 304 ? 0 : int(r, 20, 250_000);
    const timings = `${seconds(0.00002 + r() * 0.00008)} ${seconds(0.001 + r() ** 3 * 2.5)} ${seconds(0.00002 + r() * 0.00006)}`;
    yield `${stamp} prod-api-elb ${client} ${backend} ${timings} ${status} ${status} ${received} ${sent} "${method} ${url} HTTP/1.1" "${agent}" ${cipher} ${protocol}`;
  }
}

/** Writes `lines` lines to `file`; resolves with what it wrote. */
export async function writeElbLog(file: string, lines = STORY_LINES, seed?: number): Promise<{ lines: number; bytes: number }> {
  const out = createWriteStream(file);
  let bytes = 0;
  let batch = '';
  for (const line of elbLines(lines, seed)) {
    batch += `${line}\n`;
    if (batch.length >= 256 * 1024) {
      bytes += Buffer.byteLength(batch);
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  bytes += Buffer.byteLength(batch);
  out.end(batch);
  await once(out, 'finish');
  return { lines, bytes };
}
