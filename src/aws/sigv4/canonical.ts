// The pieces of a SigV4 canonical request, rebuilt from the request as it arrived on the wire.

/** Lower-case header names to values: `req.headers`, or `req.headersDistinct` to keep repeats apart. */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

/** RFC 3986 encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - _ . ~`, UTF-8, upper-case hex. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decodeLenient(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A stray `%` the client did not escape: it signed the text as it sent it.
    return value;
  }
}

/**
 * The canonical URI. Every service but S3 signs each segment of the already-encoded path encoded
 * once more, after removing empty, `.` and `..` segments; S3 signs the path exactly as sent.
 */
export function canonicalUri(rawPath: string, service: string): string {
  if (service === 's3') return rawPath === '' ? '/' : rawPath;
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(uriEncode(segment));
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}

/** A raw query string as decoded name/value pairs, in order, repeated names kept. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([decodeLenient(name), decodeLenient(value)]);
  }
  return pairs;
}

/** The canonical query string: each name and value RFC 3986 encoded, sorted by name then value. */
export function canonicalQuery(pairs: ReadonlyArray<readonly [string, string]>, omit?: string): string {
  const encoded = pairs
    .filter(([name]) => name !== omit)
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const);
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([name, value]) => `${name}=${value}`).join('&');
}

function trimAll(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/**
 * The canonical headers block (each `name:value\n`) for the signed header names. Several values
 * of one header (`req.headersDistinct` gives them apart) are joined by commas.
 */
export function canonicalHeaders(headers: HeaderMap, signed: readonly string[]): string {
  let block = '';
  for (const name of signed) {
    const value = headers[name];
    const text = value === undefined ? '' : Array.isArray(value) ? value.map(trimAll).join(',') : trimAll(String(value));
    block += `${name}:${text}\n`;
  }
  return block;
}

/** `20150830T123600Z` for a time in ms. */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** The ms of a `20150830T123600Z`, or undefined when it is not one. */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) || formatAmzDate(ms) !== value ? undefined : ms;
}
