// A Kysely dialect over Node's built-in node:sqlite. Kysely's SqliteDialect drives a
// better-sqlite3-shaped database; this adapts DatabaseSync to that shape so no native addon
// is needed (node-gyp would build against another Node's headers).
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import { SqliteDialect } from 'kysely';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Opens (creating if needed) a database file with the pragmas laambda relies on. */
export function openNodeSqlite(file: string): DatabaseSync {
  const database = new DatabaseSync(file);
  try {
    // WAL lets readers run beside the one writer; NORMAL is durable across process crashes
    // in WAL mode (only an OS crash can lose the last transactions).
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA synchronous = NORMAL');
    database.exec('PRAGMA foreign_keys = ON');
    database.exec('PRAGMA busy_timeout = 5000');
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

const MAX_CACHED_STATEMENTS = 256;

/** DatabaseSync in the shape Kysely's SqliteDriver calls. */
export class NodeSqliteDatabase implements SqliteDatabase {
  readonly #database: DatabaseSync;
  /**
   * Prepared statements by SQL text: the stores issue the same few statements over and over
   * (queue receive/delete at thousands per second), and preparing costs more than running.
   * A prepared statement is reset on each run, so reuse is safe on this one connection.
   */
  readonly #statements = new Map<string, NodeSqliteStatement>();

  constructor(database: DatabaseSync) {
    this.#database = database;
  }

  /** Idempotent: Kysely's destroy() and a caller's close may both reach it. */
  close(): void {
    if (this.#database.isOpen) this.#database.close();
  }

  prepare(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = new NodeSqliteStatement(this.#database.prepare(sql));
      // Statements whose SQL varies (IN lists of any length) must not grow the cache forever.
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) this.#statements.delete(this.#statements.keys().next().value ?? '');
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

class NodeSqliteStatement implements SqliteStatement {
  readonly #statement: StatementSync;
  readonly reader: boolean;

  constructor(statement: StatementSync) {
    this.#statement = statement;
    // A statement that yields columns (SELECT, … RETURNING, a PRAGMA query) is read with all().
    this.reader = statement.columns().length > 0;
  }

  // node:sqlite rows have a null prototype; better-sqlite3's (which Kysely expects) are plain.
  all(parameters: readonly unknown[]): unknown[] {
    return this.#statement.all(...toInputs(parameters)).map((row) => ({ ...row }));
  }

  run(parameters: readonly unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint } {
    const { changes, lastInsertRowid } = this.#statement.run(...toInputs(parameters));
    return { changes, lastInsertRowid };
  }

  *iterate(parameters: readonly unknown[]): IterableIterator<unknown> {
    for (const row of this.#statement.iterate(...toInputs(parameters))) yield { ...row };
  }
}

function toInputs(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map(toInput);
}

function toInput(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value as Uint8Array<ArrayBuffer>;
  // A plain object would be taken as named parameters by node:sqlite: refuse it here.
  throw new TypeError(`Cannot bind a ${Object.prototype.toString.call(value)} to an SQLite parameter`);
}

/** A Kysely dialect over an open node:sqlite database (Kysely's destroy() closes it). */
export function createNodeSqliteDialect(database: DatabaseSync): SqliteDialect {
  return new SqliteDialect({ database: new NodeSqliteDatabase(database) });
}
