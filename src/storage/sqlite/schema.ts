// The tables as Kysely sees them: snake_case rows, timestamps in integer milliseconds.
// Timestamp columns are `bigint` in the schema; node:sqlite reads them as numbers, pg would
// read them as strings, so the stores pass every one through Number().

export interface AppsTable {
  id: string;
  name: string;
  domain: string | null;
  created_at: number;
}

export interface ReleasesTable {
  app_id: string;
  version: number;
  kind: string;
  description: string;
  author: string;
  created_at: number;
  artifact: string | null;
  build_id: string | null;
  definition: string | null;
  config: string;
  /** JSON of Record<function name, FunctionOverrides>. */
  overrides: string;
}

export interface BuildsTable {
  id: string;
  app_id: string;
  status: string;
  source: string;
  revision: string | null;
  author: string;
  artifact: string | null;
  release: number | null;
  error: string | null;
  output: string;
  started_at: number;
  finished_at: number | null;
}

export interface TokensTable {
  id: string;
  name: string;
  app_id: string | null;
  hash: string;
  created_at: number;
  last_used_at: number | null;
}

export interface AccessKeysTable {
  id: string;
  app_id: string;
  secret: string;
  created_at: number;
}

export interface AsyncInvocationsTable {
  id: string;
  app_id: string;
  function_name: string;
  release: number | null;
  payload: Uint8Array;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  source: string;
}

export interface MigrationsTable {
  id: number;
  name: string;
  applied_at: number;
}

import type { BucketTables } from './buckets.ts';
import type { QueueTables } from './queues.ts';
import type { DrainTables } from './drains.ts';
import type { LogTables } from './logs.ts';
import type { MetricTables } from './metrics.ts';
import type { ScheduleTables } from './schedules.ts';

export interface Database extends QueueTables, BucketTables, ScheduleTables, LogTables, DrainTables, MetricTables {
  apps: AppsTable;
  releases: ReleasesTable;
  builds: BuildsTable;
  tokens: TokensTable;
  access_keys: AccessKeysTable;
  async_invocations: AsyncInvocationsTable;
  migrations: MigrationsTable;
}
