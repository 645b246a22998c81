// The platform gateway: one listener for every app, routed by Host. `APP.localhost` and the
// app's custom domain reach its HTTP API; `FN.lambda-url.APP.localhost` reaches a function URL.
import type { IncomingMessage, ServerResponse } from 'node:http';

const APP_HOST = /^(?:([a-z0-9_-]+)\.lambda-url\.)?([a-z][a-z0-9-]{0,29})\.localhost$/;

export interface HostRouterOptions {
  /** The gateway of an app by name or custom domain; undefined when no such app is live. */
  gatewayFor(target: { name: string } | { domain: string }): ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
}

function stripPort(host: string): { hostname: string; port: string } {
  const match = /^(.*?)(:\d+)?$/.exec(host.toLowerCase());
  return { hostname: match?.[1] ?? host, port: match?.[2] ?? '' };
}

function notFound(res: ServerResponse, host: string): void {
  const body = JSON.stringify({ message: `No app is served at ${host}. Use http://APP.localhost:PORT/ or the app's custom domain.` });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createHostRouter(options: HostRouterOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const host = req.headers.host ?? '';
    const { hostname, port } = stripPort(host);
    const match = APP_HOST.exec(hostname);
    const gateway = options.gatewayFor(match === null ? { domain: hostname } : { name: match[2] ?? '' });
    if (gateway === undefined) {
      notFound(res, host);
      return;
    }
    // The app's gateway knows function URLs as `FN.lambda-url.localhost`.
    if (match?.[1] !== undefined) req.headers.host = `${match[1]}.lambda-url.localhost${port}`;
    gateway(req, res);
  };
}
