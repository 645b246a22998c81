// A JSON-lines TCP listener on 127.0.0.1 that stands where logstash's `tcp` input (codec
// json_lines) would: it counts lines, parses each one, and notes when the last one arrived.
import net from 'node:net';

export interface ReceiverCounts {
  lines: number;
  /** Lines that were not JSON. */
  bad: number;
  bytes: number;
  connections: number;
  /** performance.now() of the newest line; 0 before any. */
  lastLineAt: number;
}

export interface JsonLinesReceiver {
  port: number;
  counts(): ReceiverCounts;
  /** Starts a new count (connections keep going). */
  reset(): void;
  /** Resolves with the counts once `lines` lines arrived since the last reset; rejects after `timeoutMs`. */
  waitFor(lines: number, timeoutMs: number): Promise<ReceiverCounts>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Each parsed line, for callers that look inside (the queue bench collects message ids). */
  onValue?(value: unknown): void;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<JsonLinesReceiver> {
  let counts: ReceiverCounts = { lines: 0, bad: 0, bytes: 0, connections: 0, lastLineAt: 0 };
  let waiter: { lines: number; resolve(counts: ReceiverCounts): void } | undefined;
  const sockets = new Set<net.Socket>();
  const check = () => {
    if (waiter !== undefined && counts.lines >= waiter.lines) {
      const { resolve } = waiter;
      waiter = undefined;
      resolve({ ...counts });
    }
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    counts.connections += 1;
    let rest = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      counts.bytes += Buffer.byteLength(text);
      const lines = (rest + text).split('\n');
      rest = lines.pop() ?? '';
      let seen = 0;
      for (const line of lines) {
        if (line === '') continue;
        seen += 1;
        try {
          const value: unknown = JSON.parse(line);
          options.onValue?.(value);
        } catch {
          counts.bad += 1;
        }
      }
      if (seen > 0) {
        counts.lines += seen;
        counts.lastLineAt = performance.now();
        check();
      }
    });
    // A line without its newline when the peer ends is a line logstash would drop: count it bad.
    socket.on('end', () => {
      if (rest !== '') counts.bad += 1;
      rest = '';
      socket.end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no TCP address');
  return {
    port: address.port,
    counts: () => ({ ...counts }),
    reset() {
      counts = { lines: 0, bad: 0, bytes: 0, connections: 0, lastLineAt: 0 };
    },
    waitFor(lines, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`receiver got ${counts.lines} of ${lines} lines in ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = {
          lines,
          resolve: (got) => {
            clearTimeout(timer);
            resolve(got);
          },
        };
        check();
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
