import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../core/ports.ts';

export interface CgiHead {
  status: number;
  headers: Array<[string, string]>;
}

/** The header block of a CGI answer: `Status: 404 Not Found` sets the status, the rest are headers. */
export function parseCgiHead(block: string): CgiHead {
  let status = 200;
  const headers: Array<[string, string]> = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad CGI header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const code = Number.parseInt(value, 10);
      if (!(code >= 100 && code <= 599)) throw new Error(`bad CGI status: ${JSON.stringify(value)}`);
      status = code;
    } else {
      headers.push([name, value]);
    }
  }
  return { status, headers };
}

/** Where the header block ends: the index of the first body byte and of the blank line. */
function findHeadEnd(buffer: Buffer): { head: number; body: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { head: crlf, body: crlf + 4 };
  if (lf >= 0) return { head: lf, body: lf + 2 };
  return undefined;
}

const MAX_HEAD = 64 * 1024;

export interface CgiOptions {
  command: string;
  args?: string[];
  env: Record<string, string>;
  cwd?: string;
  log: Logger;
}

export type CgiOutcome =
  | { ok: true; status: number }
  /** Nothing was sent yet: the caller answers with an error of its own. */
  | { ok: false; reason: string };

/**
 * Runs a CGI program for one request: the request body goes to its stdin (chunked or not; the
 * body is passed on as it arrives, still content-encoded), its answer is parsed and streamed out.
 * If the client goes away the program's output is drained rather than the program killed, so a
 * push the hook already deployed still updates its branch.
 */
export function runCgi(req: IncomingMessage, res: ServerResponse, options: CgiOptions): Promise<CgiOutcome> {
  return new Promise((resolve) => {
    const child = spawn(options.command, options.args ?? [], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let settled = false;
    let headSent = false;
    let status = 0;
    const settle = (outcome: CgiOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };

    child.on('error', (error) => settle({ ok: false, reason: `cannot run ${options.command}: ${error.message}` }));

    // The program may stop reading early (it answered an error); that is not our error.
    child.stdin.on('error', () => {});
    req.pipe(child.stdin);
    req.on('error', () => child.stdin.destroy());
    req.on('aborted', () => child.stdin.destroy());

    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      let newline: number;
      while ((newline = stderr.indexOf('\n')) >= 0) {
        const line = stderr.slice(0, newline);
        stderr = stderr.slice(newline + 1);
        if (line.trim() !== '') options.log.warn({ stderr: line }, 'git said');
      }
    });

    let pending: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      if (headSent) return;
      pending = Buffer.concat([pending, chunk]);
      const end = findHeadEnd(pending);
      if (!end) {
        if (pending.length > MAX_HEAD) {
          child.stdout.off('data', onData);
          child.stdout.resume();
          settle({ ok: false, reason: 'the CGI header block is too long' });
        }
        return;
      }
      child.stdout.off('data', onData);
      let head: CgiHead;
      try {
        head = parseCgiHead(pending.subarray(0, end.head).toString('latin1'));
      } catch (error) {
        child.stdout.resume();
        settle({ ok: false, reason: (error as Error).message });
        return;
      }
      headSent = true;
      status = head.status;
      if (res.destroyed) {
        child.stdout.resume();
        return;
      }
      res.statusCode = head.status;
      for (const [name, value] of head.headers) res.appendHeader(name, value);
      const rest = pending.subarray(end.body);
      if (rest.length > 0) res.write(rest);
      child.stdout.pipe(res);
    };
    child.stdout.on('data', onData);

    res.on('close', () => {
      if (!res.writableFinished) {
        // The client left: keep draining, so git runs to its end instead of blocking on a full pipe.
        child.stdout.unpipe(res);
        child.stdout.resume();
      }
    });

    child.on('close', (code, signal) => {
      if (stderr.trim() !== '') options.log.warn({ stderr: stderr.trim() }, 'git said');
      if (headSent) {
        if (code !== 0) options.log.warn({ code, signal }, 'git http-backend ended with an error');
        settle({ ok: true, status });
        return;
      }
      settle({ ok: false, reason: `${options.command} ended (code ${code}, signal ${signal}) without an answer` });
    });
  });
}
