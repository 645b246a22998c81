/**
 * A real HTTP server on 127.0.0.1 (port 0) around one AWS-style handler that takes the buffered
 * body, as the platform's AWS listener calls the SQS and S3 handlers.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKeyAuthenticate, type AwsKeyCredential } from '../../src/aws/auth.ts';
import { createSqsHandler } from '../../src/aws/sqs/index.ts';
import type { QueueService } from '../../src/events/queue/index.ts';

export type BufferedHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>;

export interface TestAwsServer {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the server; a handler that throws answers 500 with the message (the test sees it). */
export async function startAwsServer(handler: BufferedHandler): Promise<TestAwsServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handler(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(error instanceof Error ? error.stack : String(error));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The SQS endpoint over a queue service, with SigV4 checked against an in-test map of keys. */
export async function startSqsServer(service: QueueService, keys: Record<string, AwsKeyCredential>): Promise<TestAwsServer> {
  let endpoint = '';
  const server = await startAwsServer(
    createSqsHandler({
      service,
      authenticate: createKeyAuthenticate({ credentialFor: async (id) => keys[id], now: () => Date.now() }),
      region: service.region,
      accountId: service.accountId,
      queueUrl: (name) => `${endpoint}/${service.accountId}/${name}`,
    }),
  );
  endpoint = server.endpoint;
  return server;
}

/** Awaits a rejection and checks its error name (the SDK's exception class); answers the error. */
export async function rejectsWith(promise: Promise<unknown>, name: string): Promise<any> {
  const error = await promise.then(
    () => assert.fail(`expected ${name}`),
    (e: unknown) => e,
  );
  assert.equal((error as Error).name, name, (error as Error).message);
  return error;
}
