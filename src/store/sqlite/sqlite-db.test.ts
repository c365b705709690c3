import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { isMeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { openSqliteStore } from './open-sqlite-store.ts';
import { SqliteDb, type SyncMode } from './sqlite-db.ts';

const root = mkdtempSync(join(tmpdir(), 'mesh-sqlite-db-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A real WAL database file with one table, its connection set up as openSqliteStore does. */
function fresh(mode: SyncMode = 'full'): SqliteDb {
  const path = join(root, `db-${++n}.db`);
  const raw = new DatabaseSync(path);
  raw.exec('PRAGMA journal_mode = WAL');
  raw.exec(`PRAGMA synchronous = ${mode.toUpperCase()}`);
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  return new SqliteDb(raw, path, mode);
}

/** SQLite's numbers for PRAGMA synchronous: OFF 0, NORMAL 1, FULL 2. */
const synchronous = (db: SqliteDb): number => Number(db.get<{ synchronous: number }>('PRAGMA synchronous')?.synchronous);
const count = (db: SqliteDb): number => Number(db.get<{ c: number }>('SELECT count(*) AS c FROM t')?.c);

describe('SqliteDb durability', () => {
  test('a transaction commits with synchronous = FULL unless it is opened with durable: false', () => {
    const db = fresh();
    try {
      assert.equal(db.transaction(() => synchronous(db)), 2);
      assert.equal(db.transaction(() => synchronous(db), { durable: true }), 2);
      assert.equal(db.transaction(() => synchronous(db), { durable: false }), 1);
      // put back for the next commit, also after a relaxed transaction that failed
      assert.equal(synchronous(db), 2);
      assert.throws(() => db.transaction(() => { db.write('INSERT INTO t (v) VALUES (?)', 'x'); throw new Error('boom'); }, { durable: false }), /boom/);
      assert.equal(synchronous(db), 2);
      assert.equal(count(db), 0);
    } finally {
      db.close();
    }
  });

  test('the outer transaction decides: a nested one joins its commit as it is', () => {
    const db = fresh();
    try {
      assert.equal(db.transaction(() => db.transaction(() => synchronous(db), { durable: false })), 2);
      assert.equal(db.transaction(() => db.transaction(() => synchronous(db)), { durable: false }), 1);
    } finally {
      db.close();
    }
  });

  test('a store opened with synchronous normal never fsyncs its commits (durable or not)', () => {
    const db = fresh('normal');
    try {
      assert.equal(db.syncMode, 'normal');
      assert.equal(db.transaction(() => synchronous(db)), 1);
      assert.equal(db.transaction(() => synchronous(db), { durable: false }), 1);
      assert.equal(synchronous(db), 1);
    } finally {
      db.close();
    }
  });
});

describe('SqliteDb write and insert', () => {
  test('outside a transaction each is committed on its own', () => {
    const db = fresh();
    try {
      assert.equal(db.insert('INSERT INTO t (v) VALUES (?)', 'a'), 1);
      assert.equal(db.write('UPDATE t SET v = ? WHERE id = ?', 'b', 1), 1);
      assert.equal(db.raw.isTransaction, false);
      assert.equal(db.get<{ v: string }>('SELECT v FROM t WHERE id = 1')?.v, 'b');
    } finally {
      db.close();
    }
  });

  test('inside a transaction they join it: a rollback takes them back', () => {
    const db = fresh();
    try {
      assert.throws(() => db.transaction(() => {
        db.insert('INSERT INTO t (v) VALUES (?)', 'a');
        db.write('INSERT INTO t (v) VALUES (?)', 'b');
        throw new Error('boom');
      }), /boom/);
      assert.equal(count(db), 0);
    } finally {
      db.close();
    }
  });

  test('a failed statement inside a transaction leaves the earlier writes of that transaction in place', () => {
    const db = fresh();
    try {
      db.transaction(() => {
        db.write('INSERT INTO t (id, v) VALUES (1, ?)', 'a');
        assert.throws(() => db.write('INSERT INTO t (id, v) VALUES (1, ?)', 'dup'));
        db.write('INSERT INTO t (id, v) VALUES (2, ?)', 'b');
      });
      assert.equal(count(db), 2);
    } finally {
      db.close();
    }
  });
});

describe('openSqliteStore synchronous option', () => {
  test('refuses a mode it does not know', () => {
    assert.throws(
      () => openSqliteStore(join(root, `db-${++n}.db`), { synchronous: 'extra' as SyncMode }),
      (e) => isMeshError(e) && e.code === MeshErrorCode.InvalidArgument,
    );
  });
});
