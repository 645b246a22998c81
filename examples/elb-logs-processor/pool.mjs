// A small pool of TCP connections to a logstash `tcp` input (codec json_lines).
// The bug in the story: net.createConnection() hands back a socket before it is connected, writes
// to it are queued in memory, and the function returned before they went out. Here a connection
// joins the pool only once its 'connect' fired, a write waits while its socket's buffer is full
// ('drain'), a chunk whose write failed goes out again on another connection, and close() ends
// every socket and waits for it to close, so nothing is left in memory when the handler returns.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const CONNECT_TIMEOUT_MS = 5000;
const CLOSE_TIMEOUT_MS = 5000;
const CONNECT_ATTEMPTS = 3;
const WRITE_ATTEMPTS = 3;

/** Keeps the last few failures as short strings, so a run that fails on every line still logs one small line. */
export function noteFailure(summary, what, error) {
  const message = error instanceof Error ? `${error.code ? `${error.code} ` : ''}${error.message}` : String(error);
  summary.lastFailures.push(`${what}: ${message}`);
  if (summary.lastFailures.length > 5) summary.lastFailures.shift();
}

function connect(host, port) {
  return new Promise((resolve, reject) => {
    const socket = new net.Socket();
    const timer = setTimeout(() => socket.destroy(new Error(`connect to ${host}:${port} timed out`)), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
    socket.connect(port, host);
  });
}

/**
 * @param {{host: string, port: number, size: number, summary: any}} options
 * `summary` gets connectionsCreated, connectionsDestroyed, linesSent, sendFailures, lastFailures.
 */
export function createPool({ host, port, size, summary }) {
  /** @type {Array<{socket: net.Socket | null, full: boolean, dead: boolean}>} */
  const connections = [];
  const pending = new Set();
  let connecting = 0;
  let next = 0;
  let wakeUp = null;
  let changed = null;

  const wake = () => {
    const resolve = wakeUp;
    wakeUp = null;
    changed = null;
    resolve?.();
  };
  const stateChange = () => (changed ??= new Promise((resolve) => (wakeUp = resolve)));

  async function open() {
    connecting += 1;
    try {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const socket = await connect(host, port);
          summary.connectionsCreated += 1;
          const connection = { socket, full: false, dead: false };
          socket.setNoDelay(true);
          socket.on('drain', () => {
            connection.full = false;
            wake();
          });
          socket.on('error', (error) => {
            noteFailure(summary, 'connection', error);
            connection.dead = true;
            wake();
          });
          socket.on('close', () => {
            summary.connectionsDestroyed += 1;
            connection.dead = true;
            wake();
          });
          connections.push(connection);
          return connection;
        } catch (error) {
          noteFailure(summary, `connect ${host}:${port} (attempt ${attempt})`, error);
          if (attempt >= CONNECT_ATTEMPTS) throw error;
          await sleep(100 * 2 ** (attempt - 1));
        }
      }
    } finally {
      connecting -= 1;
      wake();
    }
  }

  /** A connected socket with room in its buffer: a free one, a new one while under `size`, or the first to drain. */
  async function acquire() {
    for (;;) {
      for (let i = connections.length - 1; i >= 0; i -= 1) if (connections[i].dead) connections.splice(i, 1);
      for (let i = 0; i < connections.length; i += 1) {
        const connection = connections[(next + i) % connections.length];
        if (!connection.full) {
          next = (next + i + 1) % connections.length;
          return connection;
        }
      }
      if (connections.length + connecting < size) return open();
      await stateChange();
    }
  }

  function track(promise) {
    pending.add(promise);
    promise.then(() => pending.delete(promise));
  }

  /** Writes on `connection`; a failed write goes out again on another connection, a few times. */
  function writeOn(connection, chunk, lines, attempt) {
    track(
      new Promise((resolve) => {
        const ok = connection.socket.write(chunk, (error) => {
          if (!error) {
            summary.linesSent += lines;
          } else if (attempt < WRITE_ATTEMPTS) {
            noteFailure(summary, `write (attempt ${attempt})`, error);
            track(
              acquire().then(
                (other) => writeOn(other, chunk, lines, attempt + 1),
                (connectError) => {
                  noteFailure(summary, 'write', connectError);
                  summary.sendFailures += lines;
                },
              ),
            );
          } else {
            noteFailure(summary, 'write', error);
            summary.sendFailures += lines;
          }
          resolve();
        });
        if (!ok) connection.full = true;
      }),
    );
  }

  return {
    /**
     * Queues `chunk` (whole JSON lines, `lines` of them) on a connection. Resolves once it is on
     * one whose buffer had room, so a caller that awaits each send never holds more than the
     * pool's buffers; rejects when no connection could be made.
     */
    async send(chunk, lines) {
      let connection;
      try {
        connection = await acquire();
      } catch (error) {
        summary.sendFailures += lines;
        throw error;
      }
      writeOn(connection, chunk, lines, 1);
    },

    /** Waits for every write to reach the kernel, ends each socket and waits for it to close. */
    async close() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await Promise.all(
        connections.map(
          ({ socket, dead }) =>
            new Promise((resolve) => {
              if (dead || socket.destroyed) return resolve();
              const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
              socket.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              socket.end();
            }),
        ),
      );
      connections.length = 0;
    },
  };
}
