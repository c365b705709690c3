/**
 * A full disk, as SQLite reports it (SQLITE_FULL), on a real database file: the database is capped
 * with PRAGMA max_page_count (openSqliteStore's maxPageCount), so a write that needs new pages fails
 * exactly as it does when the disk has no room. SQLite then rolls back the WHOLE transaction, which
 * the store must not paper over.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import type { Store } from '../src/ports/store.ts';
import { isMeshError } from '../src/protocol/errors.ts';
import { openSqliteStore } from '../src/store/sqlite/open-sqlite-store.ts';
import { inbound } from './support/cli-harness.ts';

const root = mkdtempSync(join(tmpdir(), 'mesh-full-'));
after(() => rmSync(root, { recursive: true, force: true }));

let files = 0;
/** A migrated database whose file may grow by `sparePages` pages at most. */
function cappedStore(sparePages: number): { store: Store; path: string } {
  const path = join(root, `full-${++files}.db`);
  openSqliteStore(path).close();
  const db = new DatabaseSync(path);
  const { page_count: pages } = db.prepare('PRAGMA page_count').get() as { page_count: number };
  db.close();
  return { store: openSqliteStore(path, { maxPageCount: pages + sparePages }), path };
}

const BIG_BODY = 'x'.repeat(256 * 1024);
const isStoreFull = (path: string) => (e: unknown): boolean => {
  assert.ok(isMeshError(e), String(e));
  assert.equal(e.code, 'STORE_FULL');
  assert.equal(e.details['path'], path);
  assert.match(e.message, /disk full/);
  return true;
};

describe('SQLite store on a full disk', () => {
  test('a write that does not fit is STORE_FULL with the database path, and nothing of it is kept', () => {
    const { store, path } = cappedStore(2);
    try {
      assert.throws(() => store.transaction(() => store.inbox.insert(inbound('m-big', 1, { body: BIG_BODY }))), isStoreFull(path));
      assert.equal(store.inbox.get('m-big'), null);
      // Small writes still fit: the store stays usable once the big one is refused.
      store.transaction(() => store.inbox.insert(inbound('m-small', 2)));
      assert.ok(store.inbox.get('m-small'));
    } finally {
      store.close();
    }
  });

  test('when SQLite rolls the outer transaction back, later writes in it fail too instead of committing on their own', () => {
    const { store, path } = cappedStore(2);
    try {
      const seen: string[] = [];
      assert.throws(() => store.transaction(() => {
        store.transaction(() => store.inbox.insert(inbound('m-before', 1)));
        try {
          store.transaction(() => store.inbox.insert(inbound('m-big', 2, { body: BIG_BODY })));
        } catch (e) {
          // A caller that handles the failure (the receiver answers that message) and goes on.
          seen.push(isMeshError(e) ? e.code : String(e));
        }
        try {
          store.transaction(() => store.inbox.insert(inbound('m-after', 3)));
        } catch (e) {
          seen.push(isMeshError(e) ? e.code : String(e));
        }
      }), isStoreFull(path));
      assert.deepEqual(seen, ['STORE_FULL', 'STORE_FULL']);
      for (const id of ['m-before', 'm-big', 'm-after']) assert.equal(store.inbox.get(id), null, `${id} must not be stored`);
      // The next transaction is a fresh one and works.
      store.transaction(() => store.inbox.insert(inbound('m-next', 4)));
      assert.ok(store.inbox.get('m-next'));
    } finally {
      store.close();
    }
  });

  test('maxPageCount must be a positive integer', () => {
    assert.throws(() => openSqliteStore(join(root, 'bad.db'), { maxPageCount: 0 }), { code: 'INVALID_ARGUMENT' });
  });
});
