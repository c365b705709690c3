import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { isMeshError } from '../src/protocol/errors.ts';
import { SCHEMA_VERSION, migrations } from '../src/store/sqlite/migrate.ts';
import { openSqliteStore } from '../src/store/sqlite/open-sqlite-store.ts';
import { describeStoreContract } from './contract/store-contract.ts';
import { conv, round } from './contract/conversation-fixtures.ts';
import { T0, auditEntry, outboxMsg } from './contract/store-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'mesh-store-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshPath = (): string => join(root, `store-${++n}.db`);

describeStoreContract('sqlite', () => {
  const path = freshPath();
  const store = openSqliteStore(path);
  return {
    store,
    cleanup: () => {
      store.close();
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    },
  };
});

function rawPragma(path: string, pragma: string): unknown {
  const db = new DatabaseSync(path);
  try {
    const row = db.prepare(`PRAGMA ${pragma}`).get();
    return row === undefined ? undefined : Object.values(row)[0];
  } finally {
    db.close();
  }
}

describe('SQLite store: file, schema and locking', () => {
  test('a new database is migrated to the current schema version', () => {
    const path = freshPath();
    openSqliteStore(path).close();
    assert.ok(SCHEMA_VERSION >= 1);
    assert.equal(rawPragma(path, 'user_version'), SCHEMA_VERSION);
  });

  test('a version-1 database is upgraded: the unused conversation tables are replaced', () => {
    const path = freshPath();
    const raw = new DatabaseSync(path);
    raw.exec(migrations[0]!.sql);
    raw.exec('PRAGMA user_version = 1');
    raw.close();
    const store = openSqliteStore(path);
    try {
      assert.equal(store.conversations.create(conv('c1')), true);
      assert.equal(store.conversations.addRound(round('c1', 1, { question: 'upgraded schema' })), true);
      assert.deepEqual(store.conversations.search({ query: 'upgraded' }).map((c) => c.id), ['c1']);
    } finally {
      store.close();
    }
    assert.equal(rawPragma(path, 'user_version'), SCHEMA_VERSION);
  });

  test('WAL journal mode is on and persists in the file', () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    store.outbox.enqueue(outboxMsg('m1'));
    assert.equal(rawPragma(path, 'journal_mode'), 'wal');
    store.close();
  });

  test('the database file and its WAL are created owner-only (600)', () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    store.outbox.enqueue(outboxMsg('m1'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
    store.close();
  });

  test('reopening keeps the data', () => {
    const path = freshPath();
    const first = openSqliteStore(path);
    first.outbox.enqueue(outboxMsg('m1'));
    first.audit.append(auditEntry({ id: 'm1' }));
    first.kv.set('routing', { hub: 'alpha' }, T0);
    const seq = first.events.append('message.queued', { id: 'm1' }, T0);
    first.close();
    const second = openSqliteStore(path);
    try {
      assert.equal(second.outbox.get('m1')?.envelope, outboxMsg('m1').envelope);
      assert.deepEqual(second.audit.query().map((e) => e.id), ['m1']);
      assert.deepEqual(second.kv.get('routing'), { hub: 'alpha' });
      assert.equal(second.events.latestSeq(), seq);
    } finally {
      second.close();
    }
    assert.equal(rawPragma(path, 'user_version'), SCHEMA_VERSION);
  });

  test('a database from a newer MESH is refused with SCHEMA_TOO_NEW and left untouched', () => {
    const path = freshPath();
    openSqliteStore(path).close();
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => openSqliteStore(path), (e) => {
      assert.ok(isMeshError(e));
      assert.equal(e.code, 'SCHEMA_TOO_NEW');
      assert.match(e.message, new RegExp(`schema version ${SCHEMA_VERSION + 1}`));
      assert.match(e.message, /upgrade MESH/);
      return true;
    });
    assert.equal(rawPragma(path, 'user_version'), SCHEMA_VERSION + 1);
  });

  test('a file that is not a database fails with STORE_FAILED', () => {
    const path = freshPath();
    writeFileSync(path, 'this is not a database, just some text that is long enough to have a header '.repeat(10));
    assert.throws(() => openSqliteStore(path), (e) => isMeshError(e) && e.code === 'STORE_FAILED');
  });

  test('a missing directory fails with STORE_FAILED', () => {
    assert.throws(() => openSqliteStore(join(root, 'no-such-dir', 'x.db')), (e) => isMeshError(e) && e.code === 'STORE_FAILED');
  });

  test('a bad busy timeout is refused', () => {
    assert.throws(() => openSqliteStore(freshPath(), { busyTimeoutMs: -1 }), (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT');
  });

  test('a lock held past the busy timeout becomes STORE_BUSY; readers are not blocked', () => {
    const path = freshPath();
    const holder = openSqliteStore(path);
    const other = openSqliteStore(path, { busyTimeoutMs: 20 });
    try {
      holder.transaction(() => {
        holder.outbox.enqueue(outboxMsg('held'));
        assert.throws(() => other.outbox.enqueue(outboxMsg('blocked')), (e) => isMeshError(e) && e.code === 'STORE_BUSY');
        assert.throws(() => other.transaction(() => 1), (e) => isMeshError(e) && e.code === 'STORE_BUSY');
        assert.equal(other.outbox.get('held'), null, 'uncommitted writes are invisible to other connections');
      });
      assert.equal(other.outbox.get('held')?.id, 'held');
      assert.equal(other.outbox.enqueue(outboxMsg('later')), true, 'the connection works again once the lock is free');
    } finally {
      other.close();
      holder.close();
    }
  });

  test('close is idempotent', () => {
    const store = openSqliteStore(freshPath());
    store.close();
    store.close();
  });

  test(':memory: databases work (no file is created)', () => {
    const store = openSqliteStore(':memory:');
    try {
      assert.equal(store.outbox.enqueue(outboxMsg('m1')), true);
      assert.equal(store.outbox.get('m1')?.state, 'pending');
    } finally {
      store.close();
    }
  });
});
