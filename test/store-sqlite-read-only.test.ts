/** openSqliteStore({ readOnly: true }): reads, never writes, never migrates. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, test } from 'node:test';
import { isMeshError } from '../src/protocol/errors.ts';
import { SCHEMA_VERSION } from '../src/store/sqlite/migrate.ts';
import { openSqliteStore } from '../src/store/sqlite/open-sqlite-store.ts';
import { auditEntry, outboxMsg } from './contract/store-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'mesh-store-ro-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(root, `store-${++n}.db`);
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

test('reads what writers committed, including while a writer is open; every write fails', () => {
  const path = freshPath();
  const writer = openSqliteStore(path);
  writer.outbox.enqueue(outboxMsg('m1'));
  const reader = openSqliteStore(path, { readOnly: true });
  try {
    assert.equal(reader.outbox.get('m1')?.id, 'm1');
    writer.audit.append(auditEntry({ id: 'a1' }));
    assert.deepEqual(reader.audit.query().map((e) => e.id), ['a1'], 'a later commit is seen (not an immutable snapshot)');
    assert.throws(() => reader.outbox.enqueue(outboxMsg('m2')), /readonly/);
    assert.equal(writer.outbox.get('m2'), null);
  } finally {
    reader.close();
    writer.close();
  }
  const before = sha(path);
  const again = openSqliteStore(path, { readOnly: true });
  assert.equal(again.outbox.listPending().length, 1);
  again.close();
  assert.equal(sha(path), before, 'opening and reading changed nothing in the file');
});

test('an older schema is refused with SCHEMA_TOO_OLD, not migrated; a newer one with SCHEMA_TOO_NEW', () => {
  const empty = freshPath();
  writeFileSync(empty, '');
  assert.throws(() => openSqliteStore(empty, { readOnly: true }), (e) => isMeshError(e) && e.code === 'SCHEMA_TOO_OLD' && /schema version 0, older than this MESH's/.test(e.message));
  assert.equal(statSync(empty).size, 0, 'nothing was written');

  const newer = freshPath();
  openSqliteStore(newer).close();
  const db = new DatabaseSync(newer);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => openSqliteStore(newer, { readOnly: true }), (e) => isMeshError(e) && e.code === 'SCHEMA_TOO_NEW');
});

test('a missing database is not created', () => {
  const path = freshPath();
  assert.throws(() => openSqliteStore(path, { readOnly: true }), (e) => isMeshError(e) && e.code === 'STORE_FAILED');
  assert.throws(() => statSync(path), /ENOENT/);
});
