// The sender of tcp:// and syslog+tcp:// drains: one long-lived connection, re-made with
// back-off whenever it fails.
//
// It never writes to a socket that has not connected: in the ELB story (background 003) a
// socket returned by net.createConnection was written to before 'connect', and the lines were
// lost when the process moved on. Here lines wait in the drain buffer until 'connect' fired.
//
// What it guarantees: lines leave the buffer in acceptance order, in chunks. A chunk counts as
// sent once its write callback reports it handed to the kernel; a chunk whose write had not
// completed when the connection failed is written again, first, on the next connection (so
// after a failure a receiver can see a chunk twice, and one truncated line: at-least-once).
// Lines the kernel had accepted but the peer never read when it died are lost: TCP tells the
// sender nothing about them, and logstash's tcp input acknowledges nothing. A receiver can
// spot duplicates and gaps by the `id` field of the JSON lines.
import net from 'node:net';
import type { DrainSender, DrainState, SenderOptions, SenderStatus } from './sender.ts';
import { backoffDelay, errorText, waitUntil } from './sender.ts';

/** At most this many lines per write. */
const CHUNK_LINES = 512;
/** A host that drops SYNs would otherwise keep a drain "connecting" for the OS's ~2 minutes. */
const CONNECT_TIMEOUT_MS = 10_000;
const KEEPALIVE_MS = 30_000;

interface Chunk {
  data: string;
  lines: number;
}

export interface TcpSenderOptions extends SenderOptions {
  host: string;
  port: number;
}

export function createTcpSender(options: TcpSenderOptions): DrainSender {
  const { buffer, encode, logger, timers, backoff } = options;
  let state: DrainState = 'connecting';
  let socket: net.Socket | null = null;
  let attempt = 0;
  let sent = 0;
  let lastError: string | undefined;
  // Taken from the buffer, write not yet confirmed; oldest first.
  const held: Chunk[] = [];
  // How many of `held` the current connection has written (they await their callbacks).
  let written = 0;
  let waitingDrain = false;
  let pumpScheduled = false;
  let closing = false;
  let closed = false;
  let cancelRetry: (() => void) | null = null;
  let idle: { check(): void } | null = null;

  const inFlight = (): number => held.reduce((sum, chunk) => sum + chunk.lines, 0);

  function connect(): void {
    cancelRetry = null;
    if (closed) return;
    state = 'connecting';
    const s = new net.Socket();
    socket = s;
    s.setTimeout(CONNECT_TIMEOUT_MS, () => s.destroy(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`)));
    s.once('connect', () => {
      s.setTimeout(0);
      s.setKeepAlive(true, KEEPALIVE_MS);
      state = 'connected';
      attempt = 0;
      // A new connection has written nothing yet: every held chunk goes again, first.
      written = 0;
      waitingDrain = false;
      logger.info({ resent: inFlight(), buffered: buffer.length }, 'drain connected');
      pump();
    });
    // A collector that talks back is not listened to; reading keeps its bytes from piling up
    // (unread bytes would make our close a reset instead of a clean FIN).
    s.on('data', () => {});
    s.on('drain', () => {
      if (socket !== s) return;
      waitingDrain = false;
      pump();
    });
    s.on('error', (error) => {
      lastError = errorText(error);
    });
    s.on('close', () => {
      if (socket !== s) return;
      socket = null;
      const wasConnected = state === 'connected';
      written = 0;
      if (closed) return;
      if (closing) {
        // Shutting down: no new connection, the flush is over.
        closed = true;
        idle?.check();
        return;
      }
      const delay = backoffDelay(attempt, backoff);
      attempt += 1;
      state = 'backing-off';
      const fields = { error: lastError, retryInMs: delay, buffered: buffer.length + inFlight() };
      if (wasConnected || attempt === 1) logger.warn(fields, 'drain connection failed');
      else logger.debug(fields, 'drain connection failed again');
      cancelRetry = timers.set(connect, delay);
    });
    s.connect({ host: options.host, port: options.port });
  }

  function confirmed(s: net.Socket, chunk: Chunk): void {
    // A late callback of an old connection: the chunk is resent on this one, or already was.
    if (socket !== s || held[0] !== chunk) return;
    held.shift();
    written -= 1;
    sent += chunk.lines;
    idle?.check();
  }

  function nextChunk(): Chunk | null {
    if (written < held.length) return held[written] as Chunk;
    if (buffer.length === 0) return null;
    const entries = buffer.take(CHUNK_LINES);
    let data = '';
    for (const entry of entries) data += encode(entry);
    const chunk = { data, lines: entries.length };
    held.push(chunk);
    return chunk;
  }

  function pump(): void {
    const s = socket;
    if (s === null || state !== 'connected' || waitingDrain) return;
    for (let chunk = nextChunk(); chunk !== null; chunk = nextChunk()) {
      written += 1;
      const current = chunk;
      const accepted = s.write(current.data, (error) => {
        if (error === undefined || error === null) confirmed(s, current);
      });
      // Respect backpressure: the rest waits in the buffer (bounded) rather than in the socket.
      if (!accepted) {
        waitingDrain = true;
        return;
      }
    }
  }

  connect();

  return {
    status(): SenderStatus {
      return { state, sent, inFlight: inFlight(), ...(lastError === undefined ? {} : { lastError }) };
    },

    notify(): void {
      if (pumpScheduled || state !== 'connected' || waitingDrain) return;
      // Lines delivered in the same turn leave together, in one write.
      pumpScheduled = true;
      setImmediate(() => {
        pumpScheduled = false;
        pump();
      });
    },

    async close(graceMs: number): Promise<void> {
      if (closing || closed) return;
      closing = true;
      cancelRetry?.();
      cancelRetry = null;
      // Only a live connection can flush; a drain that is down has nothing to wait for.
      if (state === 'connected' && socket !== null) {
        pump();
        const wait = waitUntil(() => closed || (buffer.length === 0 && held.length === 0), graceMs);
        idle = wait;
        await wait.promise;
      }
      closed = true;
      const s = socket;
      socket = null;
      if (s !== null) {
        // Written data still goes out before the FIN; a stuck peer is cut off.
        if (buffer.length === 0 && held.length === 0) s.end();
        else s.destroy();
        s.unref();
      }
    },
  };
}
