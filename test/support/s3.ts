// A real S3 endpoint for tests: createS3Handler over a BucketService on a temp data dir (SQLite +
// object blobs), served by node:http on 127.0.0.1 port 0, with two apps and their access keys.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createKeyAuthenticate, type AwsKeyCredential } from '../../src/aws/auth.ts';
import { createS3Handler } from '../../src/aws/s3/index.ts';
import { systemClock } from '../../src/core/ports.ts';
import type { PlatformStorage } from '../../src/core/platform.ts';
import { BucketService, type ObjectEvent } from '../../src/events/bucket/index.ts';
import { createLogger } from '../../src/observe/logger.ts';
import { createSqliteStorage, FsBlobStore } from '../../src/storage/index.ts';

export interface S3Harness {
  endpoint: string;
  dataDir: string;
  /** The directory the data dir lives in (to prove nothing is written beside it). */
  root: string;
  storage: PlatformStorage;
  service: BucketService;
  events: ObjectEvent[];
  appA: string;
  appB: string;
  keys: { a: { id: string; secret: string }; b: { id: string; secret: string } };
  client(accessKeyId: string, secretAccessKey: string): S3Client;
  close(): Promise<void>;
}

export async function startS3(): Promise<S3Harness> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'laambda-s3-'));
  const dataDir = path.join(root, 'data');
  const storage = await createSqliteStorage({ dataDir });
  const appA = (await storage.apps.create({ name: 'shop', domain: null })).id;
  const appB = (await storage.apps.create({ name: 'blog', domain: null })).id;
  const keys = {
    a: { id: 'AKIASHOPTEST0000001', secret: 'shop-secret/with+chars' },
    b: { id: 'AKIABLOGTEST0000002', secret: 'blog-secret' },
  };
  const credentials: Record<string, AwsKeyCredential> = {
    [keys.a.id]: { secretAccessKey: keys.a.secret, appId: appA },
    [keys.b.id]: { secretAccessKey: keys.b.secret, appId: appB },
  };
  const events: ObjectEvent[] = [];
  const service = new BucketService({
    store: storage.buckets,
    blobs: new FsBlobStore(path.join(dataDir, 'objects')),
    tmpDir: path.join(dataDir, 'objects-tmp'),
    clock: systemClock,
    onEvent: (event) => {
      events.push(event);
    },
  });
  const handler = createS3Handler({
    service,
    authenticate: createKeyAuthenticate({ credentialFor: async (id) => credentials[id], now: () => Date.now() }),
    region: 'us-east-1',
    logger: createLogger({ level: 'silent' }),
  });
  const server: Server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      res.destroy(error as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    dataDir,
    root,
    storage,
    service,
    events,
    appA,
    appB,
    keys,
    client(accessKeyId, secretAccessKey) {
      const client = new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId, secretAccessKey },
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await storage.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
