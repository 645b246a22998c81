// The storage adapters behind the PlatformStorage ports. Embedded default: one SQLite file per
// data dir (node:sqlite through Kysely, WAL) and content-addressed blobs on the filesystem.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import type { PlatformStorage } from '../core/platform.ts';
import { FsBlobStore } from './blobs/fs.ts';
import { SqliteAccessKeyStore } from './sqlite/access-keys.ts';
import { SqliteAppStore } from './sqlite/apps.ts';
import { SqliteBuildStore } from './sqlite/builds.ts';
import { createNodeSqliteDialect, openNodeSqlite } from './sqlite/dialect.ts';
import { storageError } from './sqlite/errors.ts';
import { SqliteAsyncInvocationStore } from './sqlite/invocations.ts';
import { migrate } from './sqlite/migrations.ts';
import { SqliteReleaseStore } from './sqlite/releases.ts';
import type { Database } from './sqlite/schema.ts';
import { SqliteTokenStore } from './sqlite/tokens.ts';
import { SqliteBucketStore } from './sqlite/buckets.ts';
import { SqliteQueueStore } from './sqlite/queues.ts';
import { SqliteScheduleStore } from './sqlite/schedules.ts';
import { SqliteDrainStore } from './sqlite/drains.ts';
import { SqliteLogStore } from './sqlite/logs.ts';
import { SqliteMetricStore } from './sqlite/metrics.ts';

export { FsBlobStore } from './blobs/fs.ts';
export type { SqliteAccessKeyStore } from './sqlite/access-keys.ts';
export type { SqliteAppStore } from './sqlite/apps.ts';
export type { SqliteBuildStore } from './sqlite/builds.ts';
export type { SqliteAsyncInvocationStore } from './sqlite/invocations.ts';
export type { SqliteReleaseStore } from './sqlite/releases.ts';
export type { SqliteTokenStore } from './sqlite/tokens.ts';

export interface SqliteStorageOptions {
  /** Holds `laambda.db` (with its -wal/-shm files) and `blobs/`; created if missing. */
  dataDir: string;
  /** The clock for the one timestamp the ports do not pass in (an app's createdAt). */
  now?: () => number;
}

/**
 * Opens the data dir's database, applies pending migrations and returns the stores.
 * Throws ERR_STORAGE_FAILED when the dir or database cannot be opened or migrated.
 * One laambda server per data dir: SQLite serialises writers, and the stores count on it.
 */
export async function createSqliteStorage(options: SqliteStorageOptions): Promise<PlatformStorage> {
  const dataDir = path.resolve(options.dataDir);
  let database: DatabaseSync;
  try {
    // 0700: the database holds token hashes and encrypted secrets.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await mkdir(path.join(dataDir, 'blobs'), { recursive: true });
    database = openNodeSqlite(path.join(dataDir, 'laambda.db'));
  } catch (error) {
    throw storageError(`open the database in ${dataDir}`, error);
  }

  const db = new Kysely<Database>({ dialect: createNodeSqliteDialect(database) });
  const close = async (): Promise<void> => {
    await db.destroy();
    // destroy() only closes a database Kysely has used; close it whatever happened.
    if (database.isOpen) database.close();
  };
  try {
    await migrate(db);
  } catch (error) {
    await close();
    throw storageError(`migrate the database in ${dataDir}`, error);
  }

  return {
    apps: new SqliteAppStore(db, options.now),
    releases: new SqliteReleaseStore(db),
    builds: new SqliteBuildStore(db),
    tokens: new SqliteTokenStore(db),
    keys: new SqliteAccessKeyStore(db),
    invocations: new SqliteAsyncInvocationStore(db),
    queues: new SqliteQueueStore(db),
    buckets: new SqliteBucketStore(db),
    schedules: new SqliteScheduleStore(db),
    logs: new SqliteLogStore(db, database),
    drains: new SqliteDrainStore(db),
    metrics: new SqliteMetricStore(db),
    blobs: new FsBlobStore(path.join(dataDir, 'blobs')),
    close,
  };
}
