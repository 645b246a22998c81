// Forward-only, numbered schema migrations. Each runs in its own transaction with the row
// that records it, so a failed migration leaves neither its tables nor its record behind.
// They use Kysely's schema builder and portable types only (text, integer, bigint) so the
// PostgreSQL adapter can run the same list; the one exception is noted at BINARY.
import type { Kysely } from 'kysely';
import { LaambdaError } from '../../core/errors.ts';
import { bucketsMigration } from './buckets.ts';
import { fifoQueuesMigration, queuesMigration } from './queues.ts';
import { drainsMigration } from './drains.ts';
import { logsMigration } from './logs.ts';
import { metricsMigration } from './metrics.ts';
import { schedulesMigration } from './schedules.ts';
import type { Database } from './schema.ts';

export interface Migration {
  /** Positive, ascending, never reused. */
  id: number;
  name: string;
  // Kysely<any>: a migration describes the schema as it was then, not today's Database type.
  up(db: Kysely<any>): Promise<void>;
}

// PostgreSQL has no `blob`: its adapter has to map this to `bytea` (pg reads both as Buffer).
export const BINARY = 'blob';

const platformMigration: Migration = {
  id: 1,
  name: 'platform tables',
  async up(db) {
    await db.schema
      .createTable('apps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      // NULLs never collide in a unique column (SQLite and PostgreSQL alike).
      .addColumn('domain', 'text', (c) => c.unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('releases')
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('artifact', 'text')
      // No foreign key: a release keeps naming its build even if builds are pruned one day.
      .addColumn('build_id', 'text')
      .addColumn('definition', 'text')
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('overrides', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('releases_pk', ['app_id', 'version'])
      .execute();

    await db.schema
      .createTable('builds')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('revision', 'text')
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('artifact', 'text')
      .addColumn('release', 'integer')
      .addColumn('error', 'text')
      .addColumn('output', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('builds_app_started').on('builds').columns(['app_id', 'started_at', 'id']).execute();
    await db.schema.createIndex('builds_status').on('builds').column('status').execute();

    await db.schema
      .createTable('tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text', (c) => c.references('apps.id').onDelete('cascade'))
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('tokens_app').on('tokens').column('app_id').execute();

    await db.schema
      .createTable('access_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_keys_app').on('access_keys').column('app_id').execute();

    await db.schema
      .createTable('async_invocations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('function_name', 'text', (c) => c.notNull())
      .addColumn('release', 'integer')
      .addColumn('payload', BINARY, (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('async_invocations_created')
      .on('async_invocations')
      .columns(['created_at', 'id'])
      .execute();
    await db.schema.createIndex('async_invocations_app').on('async_invocations').column('app_id').execute();
  },
};

// Later migrations live beside the stores whose tables they create.
export const MIGRATIONS: readonly Migration[] = [
  platformMigration,
  queuesMigration,
  bucketsMigration,
  schedulesMigration,
  logsMigration,
  drainsMigration,
  metricsMigration,
  fifoQueuesMigration,
];

export interface MigrateOptions {
  migrations?: readonly Migration[];
  now?: () => number;
}

/** Applies the migrations not yet recorded, in order; returns the ids it applied. */
export async function migrate(db: Kysely<Database>, options: MigrateOptions = {}): Promise<number[]> {
  const { migrations = MIGRATIONS, now = Date.now } = options;
  checkOrder(migrations);
  await db.schema
    .createTable('migrations')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();

  const recorded = await db.selectFrom('migrations').select('id').execute();
  const done = new Set(recorded.map((row) => Number(row.id)));
  const known = new Set(migrations.map((migration) => migration.id));
  const unknown = [...done].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new LaambdaError(
      'ERR_STORAGE_FAILED',
      `The database has migrations this laambda does not know (${unknown.join(', ')}): it was written by a newer version`,
    );
  }

  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    const ran = await db.transaction().execute(async (trx) => {
      // Another process may have applied it since the read above.
      const again = await trx.selectFrom('migrations').select('id').where('id', '=', migration.id).executeTakeFirst();
      if (again) return false;
      await migration.up(trx);
      await trx.insertInto('migrations').values({ id: migration.id, name: migration.name, applied_at: now() }).execute();
      return true;
    });
    if (ran) applied.push(migration.id);
  }
  return applied;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (!Number.isInteger(migration.id) || migration.id < 1 || (previous && migration.id <= previous.id)) {
      throw new LaambdaError(
        'ERR_PLATFORM_INTERNAL',
        `Migration ids must be positive and ascending: ${migration.id} (${migration.name})`,
      );
    }
  });
}
