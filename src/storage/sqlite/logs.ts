// SQLite storage of log lines and platform events. Appends go through the raw node:sqlite
// connection with one cached prepared INSERT inside one transaction per batch: that is what
// reaches 100,000+ lines/s (Kysely's per-query compile and promise costs more than the insert).
// Each row keeps its UTF-8 size, and log_usage keeps a running total per app, so the per-app
// size cap never has to sum the table.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { LogEntry, LogEntryStream, LogFilter, LogStore } from '../../core/logs.ts';
import { LOG_QUERY_DEFAULT_LIMIT, LOG_QUERY_MAX_LIMIT, lineBytes } from '../../core/logs.ts';
import { guard, isForeignKeyViolation } from './errors.ts';
import type { Migration } from './migrations.ts';
import type { Database } from './schema.ts';

export interface LogLinesTable {
  /** The log service's id: ascending in order of acceptance (the rowid, so appends stay in order on disk). */
  id: number;
  app_id: string;
  time: number;
  function: string | null;
  release: number | null;
  request_id: string | null;
  stream: string;
  type: string | null;
  line: string;
  /** UTF-8 size of `line`, for the per-app size cap. */
  bytes: number;
}

export interface LogUsageTable {
  app_id: string;
  bytes: number;
  lines: number;
}

/** The tables this store adds to the Database type. */
export interface LogTables {
  log_lines: LogLinesTable;
  log_usage: LogUsageTable;
}

export const logsMigration: Migration = {
  id: 5,
  name: 'log lines and platform events',
  async up(db) {
    await db.schema
      .createTable('log_lines')
      // `integer primary key` is SQLite's rowid alias: no second b-tree for the id.
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('function', 'text')
      .addColumn('release', 'integer')
      .addColumn('request_id', 'text')
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('type', 'text')
      .addColumn('line', 'text', (c) => c.notNull())
      .addColumn('bytes', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('log_lines_app').on('log_lines').columns(['app_id', 'id']).execute();
    await db.schema.createIndex('log_lines_request').on('log_lines').columns(['app_id', 'request_id']).execute();
    await db.schema.createIndex('log_lines_function').on('log_lines').columns(['app_id', 'function', 'id']).execute();
    await db.schema
      .createTable('log_usage')
      .addColumn('app_id', 'text', (c) => c.primaryKey().references('apps.id').onDelete('cascade'))
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('lines', 'bigint', (c) => c.notNull())
      .execute();
  },
};

// Rows read and deleted per transaction by retention: bounded so a sweep never holds the
// (synchronous) connection, and with it the event loop, for long.
const DELETE_CHUNK = 5000;

const INSERT_SQL =
  'INSERT INTO log_lines (id, app_id, time, function, release, request_id, stream, type, line, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const USAGE_SQL =
  'INSERT INTO log_usage (app_id, bytes, lines) VALUES (?, ?, ?) ' +
  'ON CONFLICT (app_id) DO UPDATE SET bytes = bytes + excluded.bytes, lines = lines + excluded.lines';

interface Statements {
  insert: StatementSync;
  usage: StatementSync;
  oldest: StatementSync;
  deleteOld: StatementSync;
  oldestOfApp: StatementSync;
  deleteOfApp: StatementSync;
}

type Tally = Map<string, { bytes: number; lines: number }>;

function tally(tallies: Tally, appId: string, bytes: number): void {
  const current = tallies.get(appId);
  if (current === undefined) tallies.set(appId, { bytes, lines: 1 });
  else {
    current.bytes += bytes;
    current.lines += 1;
  }
}

export class SqliteLogStore implements LogStore {
  readonly #db: Kysely<Database>;
  readonly #database: DatabaseSync;
  #statements: Statements | undefined;

  constructor(db: Kysely<Database>, database: DatabaseSync) {
    this.#db = db;
    this.#database = database;
  }

  get database(): DatabaseSync {
    return this.#database;
  }

  get db(): Kysely<Database> {
    return this.#db;
  }

  // Prepared on first use: the tables exist only once the migrations ran.
  #prepared(): Statements {
    if (this.#statements === undefined) {
      const database = this.#database;
      this.#statements = {
        insert: database.prepare(INSERT_SQL),
        usage: database.prepare(USAGE_SQL),
        oldest: database.prepare('SELECT id, app_id, bytes, time FROM log_lines ORDER BY id LIMIT ?'),
        deleteOld: database.prepare('DELETE FROM log_lines WHERE id <= ? AND time < ?'),
        oldestOfApp: database.prepare('SELECT id, bytes FROM log_lines WHERE app_id = ? ORDER BY id LIMIT ?'),
        deleteOfApp: database.prepare('DELETE FROM log_lines WHERE app_id = ? AND id <= ?'),
      };
    }
    return this.#statements;
  }

  /**
   * Runs `work` in one synchronous transaction on the raw connection. Kysely transactions on
   * the same connection span awaits; starting ours inside one would fail (or join it), so wait
   * for the connection to be out of any transaction first.
   */
  async #transaction<T>(work: () => T): Promise<T> {
    while (this.#database.isTransaction) await nextTurn();
    this.#database.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#database.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#database.isTransaction) this.#database.exec('ROLLBACK');
      throw error;
    }
  }

  async append(entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await guard('store log lines', async () => {
      try {
        await this.#transaction(() => this.#insert(entries));
      } catch (error) {
        if (!isForeignKeyViolation(error)) throw error;
        // An app removed while its lines waited in the buffer: keep the other apps' lines.
        const apps = await this.#db.selectFrom('apps').select('id').execute();
        const known = new Set(apps.map((app) => app.id));
        const kept = entries.filter((entry) => known.has(entry.appId));
        if (kept.length > 0) await this.#transaction(() => this.#insert(kept));
      }
    });
  }

  #insert(entries: readonly LogEntry[]): void {
    const { insert, usage } = this.#prepared();
    const tallies: Tally = new Map();
    for (const entry of entries) {
      const bytes = lineBytes(entry.line);
      insert.run(
        entry.id,
        entry.appId,
        entry.time,
        entry.function,
        entry.release,
        entry.requestId,
        entry.stream,
        entry.type,
        entry.line,
        bytes,
      );
      tally(tallies, entry.appId, bytes);
    }
    for (const [appId, { bytes, lines }] of tallies) usage.run(appId, bytes, lines);
  }

  async query(filter: LogFilter): Promise<LogEntry[]> {
    const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? LOG_QUERY_DEFAULT_LIMIT)), LOG_QUERY_MAX_LIMIT);
    return guard('read log lines', async () => {
      let query = this.#db.selectFrom('log_lines').selectAll().where('app_id', '=', filter.appId);
      if (filter.function !== undefined) query = query.where('function', '=', filter.function);
      if (filter.requestId !== undefined) query = query.where('request_id', '=', filter.requestId);
      if (filter.since !== undefined) query = query.where('time', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('time', '<', filter.until);
      if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
      // instr, not LIKE: % and _ in the text are plain characters. lower() folds ASCII only,
      // as foldAscii does for live subscribers.
      if (filter.grep !== undefined && filter.grep !== '') {
        query = query.where(sql<number>`instr(lower(line), lower(${filter.grep}))`, '>', 0);
      }
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return rows.reverse().map(toEntry);
    });
  }

  async lastId(): Promise<number> {
    return guard('read the last log line id', async () => {
      const row = await this.#db
        .selectFrom('log_lines')
        .select((eb) => eb.fn.max('id').as('last'))
        .executeTakeFirst();
      return Number(row?.last ?? 0);
    });
  }

  async deleteOlderThan(time: number): Promise<number> {
    return guard('delete old log lines', async () => {
      let deleted = 0;
      for (;;) {
        // Ids ascend with acceptance and so (nearly) with time: the old lines are the first rows.
        const { removed, more } = await this.#transaction(() => {
          const { oldest, deleteOld } = this.#prepared();
          const rows = oldest.all(DELETE_CHUNK) as unknown as Array<{ id: number; app_id: string; bytes: number; time: number }>;
          const old = rows.filter((row) => Number(row.time) < time);
          if (old.length === 0) return { removed: 0, more: false };
          const tallies: Tally = new Map();
          for (const row of old) tally(tallies, row.app_id, Number(row.bytes));
          deleteOld.run(Math.max(...old.map((row) => Number(row.id))), time);
          this.#subtract(tallies);
          return { removed: old.length, more: old.length === rows.length };
        });
        deleted += removed;
        if (!more) return deleted;
        await nextTurn();
      }
    });
  }

  async capBytesPerApp(maxBytes: number): Promise<number> {
    return guard('cap the log size of apps', async () => {
      const over = await this.#db
        .selectFrom('log_usage')
        .select(['app_id', 'bytes'])
        .where('bytes', '>', maxBytes)
        .execute();
      let deleted = 0;
      for (const { app_id: appId } of over) {
        for (;;) {
          const { removed, more } = await this.#transaction(() => this.#trimApp(appId, maxBytes));
          deleted += removed;
          if (!more) break;
          await nextTurn();
        }
      }
      return deleted;
    });
  }

  /** Deletes one chunk of the app's oldest lines toward the cap; `more` when still over. */
  #trimApp(appId: string, maxBytes: number): { removed: number; more: boolean } {
    const usageRow = this.#database.prepare('SELECT bytes FROM log_usage WHERE app_id = ?').get(appId);
    const excess = Number(usageRow?.bytes ?? 0) - maxBytes;
    if (excess <= 0) return { removed: 0, more: false };
    const { oldestOfApp, deleteOfApp } = this.#prepared();
    const rows = oldestOfApp.all(appId, DELETE_CHUNK) as unknown as Array<{ id: number; bytes: number }>;
    if (rows.length === 0) {
      // The running total drifted from the rows (nothing left to delete): start it again.
      this.#database.prepare('DELETE FROM log_usage WHERE app_id = ?').run(appId);
      return { removed: 0, more: false };
    }
    let freed = 0;
    let count = 0;
    let lastId = 0;
    for (const row of rows) {
      freed += Number(row.bytes);
      count += 1;
      lastId = Number(row.id);
      if (freed >= excess) break;
    }
    deleteOfApp.run(appId, lastId);
    this.#subtract(new Map([[appId, { bytes: freed, lines: count }]]));
    return { removed: count, more: freed < excess };
  }

  #subtract(tallies: Tally): void {
    const { usage } = this.#prepared();
    for (const [appId, { bytes, lines }] of tallies) usage.run(appId, -bytes, -lines);
  }

  async usage(): Promise<Map<string, { bytes: number; lines: number }>> {
    return guard('read log usage', async () => {
      const rows = await this.#db.selectFrom('log_usage').selectAll().execute();
      return new Map(rows.map((row) => [row.app_id, { bytes: Number(row.bytes), lines: Number(row.lines) }]));
    });
  }
}

function toEntry(row: Selectable<LogLinesTable>): LogEntry {
  return {
    id: Number(row.id),
    time: Number(row.time),
    appId: row.app_id,
    function: row.function,
    release: row.release === null ? null : Number(row.release),
    requestId: row.request_id,
    stream: row.stream as LogEntryStream,
    type: row.type,
    line: row.line,
  };
}
