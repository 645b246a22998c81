// Drain URLs: what users type after `drains:add`, checked and put in one canonical form so
// `drains:remove` finds the drain whatever the spelling (case of the host, a trailing slash).
import { LaambdaError } from '../../core/errors.ts';

export type DrainKind = 'tcp' | 'syslog+tcp' | 'https';

/** A checked drain URL. */
export type DrainTarget =
  | { kind: 'tcp' | 'syslog+tcp'; url: string; host: string; port: number }
  | { kind: 'https'; url: string };

const ACCEPTED = 'tcp://HOST:PORT (JSON lines), syslog+tcp://HOST:PORT (RFC 5424) or https://HOST/PATH (batched POST)';

// Plain http only to this machine, so tests and a local collector need no certificate.
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function invalid(text: string, why: string): LaambdaError {
  return new LaambdaError('ERR_DRAIN_URL_INVALID', `Drain URL ${JSON.stringify(text)} ${why}; accepted: ${ACCEPTED}`);
}

/**
 * Checks a drain URL and returns its canonical form. Throws ERR_DRAIN_URL_INVALID (naming the
 * accepted forms) for anything but tcp://, syslog+tcp:// and https:// (http:// to loopback).
 */
export function parseDrainUrl(text: string): DrainTarget {
  const trimmed = text.trim();
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw invalid(text, 'is not a URL');
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'tcp' || scheme === 'syslog+tcp') return parseSocketUrl(text, scheme, parsed);
  if (scheme === 'https' || scheme === 'http') return parseHttpUrl(text, scheme, parsed);
  throw invalid(text, `has the unsupported scheme ${scheme}:`);
}

function parseSocketUrl(text: string, kind: 'tcp' | 'syslog+tcp', parsed: URL): DrainTarget {
  // Non-special schemes keep the host as typed; hosts are case-insensitive.
  const host = parsed.hostname.toLowerCase();
  if (host === '') throw invalid(text, 'has no host');
  if (parsed.username !== '' || parsed.password !== '') throw invalid(text, 'has credentials, which a TCP drain cannot send');
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '') {
    throw invalid(text, 'has a path, query or fragment, which a TCP drain cannot use');
  }
  if (parsed.port === '') throw invalid(text, 'has no port');
  const port = Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(text, 'has a port outside 1-65535');
  // net.connect wants an IPv6 address without its brackets.
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  return { kind, url: `${kind}://${host}:${port}`, host: bare, port };
}

function parseHttpUrl(text: string, scheme: 'https' | 'http', parsed: URL): DrainTarget {
  if (parsed.hostname === '') throw invalid(text, 'has no host');
  if (scheme === 'http' && !LOOPBACK.has(parsed.hostname)) {
    throw invalid(text, 'uses plain http:// to another machine (allowed only for 127.0.0.1 and localhost); use https://');
  }
  if (parsed.hash !== '') throw invalid(text, 'has a fragment');
  return { kind: 'https', url: parsed.href };
}

/** The URL with any password (and query, which often carries a token) hidden, for logs. */
export function redactDrainUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.search !== '') parsed.search = '?***';
    return parsed.href;
  } catch {
    return '(unparsable URL)';
  }
}
