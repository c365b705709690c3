import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import type { Store, TransactionOptions } from '../ports/store.ts';
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts';
import { createCommitBatcher } from './commit-batch.ts';

const dir = mkdtempSync(join(tmpdir(), 'mesh-commit-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A real SQLite store whose outermost transactions (the commits) are counted with their durability. */
function countingStore(): { store: Store; commits: (boolean | undefined)[] } {
  const store = openSqliteStore(join(dir, `s${n++}.db`));
  const commits: (boolean | undefined)[] = [];
  let depth = 0;
  const inner = store.transaction.bind(store);
  store.transaction = <T>(fn: () => T, o?: TransactionOptions): T => {
    if (depth === 0) commits.push(o?.durable);
    depth++;
    try {
      return inner(fn, o);
    } finally {
      depth--;
    }
  };
  return { store, commits };
}

const put = (store: Store, key: string) => (): string => {
  store.kv.set(key, key, 0);
  return key;
};

describe('commit batcher (sender group commit)', () => {
  test('work queued in one turn commits once; relaxed unless an item asks for durability', async () => {
    const { store, commits } = countingStore();
    const b = createCommitBatcher({ store });
    assert.deepEqual(await Promise.all([b.run(put(store, 'a'), false), b.run(put(store, 'b'), false)]), ['a', 'b']);
    assert.deepEqual(commits, [false], 'one commit for both, not fsynced');
    assert.deepEqual(await Promise.all([b.run(put(store, 'c'), false), b.run(put(store, 'd'), true), b.run(put(store, 'e'), false)]), ['c', 'd', 'e']);
    assert.deepEqual(commits, [false, true], 'one durable item makes the whole batch durable');
    for (const k of ['a', 'b', 'c', 'd', 'e']) assert.equal(store.kv.get(k), k);
    store.close();
  });

  test('work queued in different turns commits separately', async () => {
    const { store, commits } = countingStore();
    const b = createCommitBatcher({ store });
    await b.run(put(store, 'a'), true);
    await b.run(put(store, 'b'), true);
    assert.deepEqual(commits, [true, true]);
    store.close();
  });

  test('a failing item is undone and rejected alone; the rest of its batch commits', async () => {
    const { store, commits } = countingStore();
    const b = createCommitBatcher({ store });
    const results = await Promise.allSettled([
      b.run(put(store, 'a'), true),
      b.run(() => {
        store.kv.set('half', 'written', 0);
        throw new Error('boom');
      }, true),
      b.run(put(store, 'c'), true),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((results[1] as PromiseRejectedResult).reason.message, 'boom');
    assert.equal(store.kv.get('a'), 'a');
    assert.equal(store.kv.get('c'), 'c');
    assert.equal(store.kv.get('half'), null, 'the failed item\'s own writes are rolled back');
    assert.equal(commits.length, 1);
    store.close();
  });

  test('when the batch cannot start its transaction, every item is rejected with that error and nothing is stored', async () => {
    const path = join(dir, 'locked.db');
    const s = openSqliteStore(path, { busyTimeoutMs: 20 });
    // Another connection holds the write lock across turns: the batch's BEGIN IMMEDIATE times out.
    const other = new DatabaseSync(path);
    other.exec('BEGIN IMMEDIATE');
    const b = createCommitBatcher({ store: s });
    const results = await Promise.allSettled([b.run(put(s, 'a'), true), b.run(put(s, 'b'), false)]);
    other.exec('ROLLBACK');
    other.close();
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    for (const r of results) assert.equal((r as PromiseRejectedResult).reason.code, 'STORE_BUSY');
    assert.equal(s.kv.get('a'), null);
    assert.equal(s.kv.get('b'), null);
    s.close();
  });

  test('a batch larger than maxBatch is split over turns', async () => {
    const { store, commits } = countingStore();
    const b = createCommitBatcher({ store, maxBatch: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => b.run(put(store, k), k === 'e')));
    assert.deepEqual(commits, [false, false, true]);
    store.close();
  });
});
