// The Runtime API client of the Node bootstrap: plain JavaScript, Node built-ins and
// runtime/protocol.js only (see node.child.mjs for why).
import { createRequire } from 'node:module';
import { runtimePath } from '../protocol.js';

/** @type {typeof import('node:net')} */
const net = createRequire(import.meta.url)('node:net');

/** @typedef {{ host: string, port: number, prefix: string }} ApiAddress */

/**
 * @param {string} value host:port, optionally followed by a path prefix
 * @returns {ApiAddress}
 */
export function parseApiAddress(value) {
  const slash = value.indexOf('/');
  const hostPort = slash === -1 ? value : value.slice(0, slash);
  const prefix = slash === -1 ? '' : value.slice(slash).replace(/\/$/, '');
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)), prefix };
}

/**
 * @typedef {{ status: number, headers: Record<string, string>, body: Buffer }} ApiResponse
 */

/**
 * A minimal HTTP/1.1 client for the Runtime API on one kept-alive socket. It pipelines: the
 * result of one invocation and the request for the next leave in one write, which takes a
 * network round trip off every warm invocation. The platform's server always sends
 * Content-Length. The socket is unref'd while nothing is outstanding, so it never keeps the
 * event loop alive (callbackWaitsForEmptyEventLoop depends on that).
 */
export class RuntimeApiClient {
  /** @param {ApiAddress} api */
  constructor(api) {
    this.api = api;
  }

  /** @type {import('node:net').Socket | undefined} */
  socket;
  /** @type {Array<{ resolve: (r: ApiResponse) => void, reject: (e: Error) => void }>} */
  waiting = [];
  /** @type {Buffer} */
  buffer = Buffer.alloc(0);

  connect() {
    const { api } = this;
    const socket = net.connect(api.port, api.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    const fail = () => {
      const error = new Error('the Runtime API connection closed');
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
      this.socket = undefined;
    };
    socket.on('error', fail);
    socket.on('close', fail);
    this.socket = socket;
    return socket;
  }

  /**
   * @param {string} method
   * @param {string} route
   * @param {Buffer | undefined} body
   * @param {Record<string, string>} [headers]
   * @returns {Promise<ApiResponse>}
   */
  request(method, route, body, headers = {}) {
    const { api } = this;
    const socket = this.socket ?? this.connect();
    let head = `${method} ${api.prefix}${runtimePath(route)} HTTP/1.1\r\nhost: ${api.host}:${api.port}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    head += `content-length: ${body === undefined ? 0 : body.length}\r\n\r\n`;
    socket.ref();
    if (body === undefined || body.length === 0) socket.write(head);
    else if (body.length < 16384) socket.write(Buffer.concat([Buffer.from(head), body]));
    else {
      socket.write(head);
      socket.write(body);
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** @param {Buffer} chunk */
  onData(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      /** @type {Record<string, string>} */
      const headers = {};
      for (let i = 1; i < lines.length; i++) {
        const line = /** @type {string} */ (lines[i]);
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length);
      this.buffer = this.buffer.subarray(end + 4 + length);
      const status = Number(/** @type {string} */ (lines[0]).split(' ')[1]);
      this.waiting.shift()?.resolve({ status, headers, body });
      if (this.waiting.length === 0) this.socket?.unref();
    }
  }
}
