import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NodeSqliteDatabase, openNodeSqlite } from './dialect.ts';

describe('NodeSqliteDatabase', () => {
  let dir = '';
  let raw: DatabaseSync;
  let database: NodeSqliteDatabase;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'laambda-dialect-'));
    raw = openNodeSqlite(path.join(dir, 'test.db'));
    database = new NodeSqliteDatabase(raw);
    database.prepare('CREATE TABLE t (id INTEGER PRIMARY KEY, flag INTEGER, note TEXT, data BLOB)').run([]);
  });
  afterEach(async () => {
    database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens with WAL, foreign keys, a busy timeout and synchronous NORMAL', () => {
    const pragma = (name: string): unknown => Object.values(raw.prepare(`PRAGMA ${name}`).get() ?? {})[0];
    assert.equal(pragma('journal_mode'), 'wal');
    assert.equal(pragma('foreign_keys'), 1);
    assert.equal(pragma('busy_timeout'), 5000);
    assert.equal(pragma('synchronous'), 1);
  });

  it('binds booleans as 0/1 and undefined as null, and reads plain objects back', () => {
    const insert = database.prepare('INSERT INTO t (flag, note, data) VALUES (?, ?, ?)');
    assert.equal(insert.reader, false);
    assert.deepEqual(insert.run([true, undefined, Buffer.from([1, 2])]), { changes: 1, lastInsertRowid: 1 });
    insert.run([false, 'x', null]);
    const select = database.prepare('SELECT id, flag, note FROM t ORDER BY id');
    assert.equal(select.reader, true);
    const rows = select.all([]);
    assert.deepEqual(rows, [
      { id: 1, flag: 1, note: null },
      { id: 2, flag: 0, note: 'x' },
    ]);
    assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
    assert.deepEqual([...database.prepare('SELECT id FROM t WHERE flag = ?').iterate([true])], [{ id: 1 }]);
  });

  it('reads the rows of a RETURNING statement', () => {
    const insert = database.prepare('INSERT INTO t (note) VALUES (?) RETURNING id');
    assert.equal(insert.reader, true);
    assert.deepEqual(insert.all(['y']), [{ id: 1 }]);
  });

  it('refuses to bind an object (node:sqlite would take it as named parameters)', () => {
    assert.throws(() => database.prepare('SELECT ?').all([{ a: 1 }]), TypeError);
  });

  it('closes once however often it is asked', () => {
    database.close();
    database.close();
    assert.equal(raw.isOpen, false);
  });
});
