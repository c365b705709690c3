import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { createGroupCommit } from './group-commit.ts';

function manualDefer(): { defer: (fn: () => void) => void; run: () => void; pending: () => number } {
  let fns: (() => void)[] = [];
  return {
    defer: (fn) => fns.push(fn),
    run: () => {
      const now = fns;
      fns = [];
      for (const f of now) f();
    },
    pending: () => fns.length,
  };
}

test('requests of one turn share one outer transaction; answers come after it', async () => {
  const store = createMemoryStore();
  let outer = 0;
  const realTx = store.transaction.bind(store);
  const counting = { transaction: <T>(fn: () => T): T => { outer++; return realTx(fn); } };
  const d = manualDefer();
  const seen: string[] = [];
  const handle = createGroupCommit({
    store: counting,
    handle: (id: string) => {
      store.kv.set(`k:${id}`, id, 0);
      seen.push(id);
      return `ok ${id}`;
    },
    onBatchFailure: () => 'failed',
    defer: d.defer,
  });
  const answers = [handle('a'), handle('b'), handle('c')];
  assert.equal(d.pending(), 1, 'one flush scheduled for the turn');
  assert.deepEqual(seen, [], 'nothing handled before the flush');
  d.run();
  assert.deepEqual(await Promise.all(answers), ['ok a', 'ok b', 'ok c']);
  assert.equal(outer, 1);
  assert.equal(store.kv.get('k:b'), 'b');
});

test('a batch larger than maxBatch is split over turns, in order', async () => {
  const store = createMemoryStore();
  const d = manualDefer();
  const batches: number[] = [];
  let current = 0;
  const handle = createGroupCommit({
    store: { transaction: <T>(fn: () => T): T => { current = 0; const r = store.transaction(fn); batches.push(current); return r; } },
    handle: (n: number) => { current++; return n * 2; },
    onBatchFailure: () => -1,
    maxBatch: 2,
    defer: d.defer,
  });
  const answers = [1, 2, 3, 4, 5].map((n) => handle(n));
  for (let i = 0; i < 5 && d.pending() > 0; i++) d.run();
  assert.deepEqual(await Promise.all(answers), [2, 4, 6, 8, 10]);
  assert.deepEqual(batches, [2, 2, 1]);
});

test('when the batch transaction fails, no request of it is acknowledged and nothing is kept', async () => {
  const store = createMemoryStore();
  const d = manualDefer();
  const handle = createGroupCommit({
    store: {
      transaction: <T>(fn: () => T): T => store.transaction((): T => {
        fn();
        throw Object.assign(new Error('disk full'), { code: 'STORE_FAILED' });
      }),
    },
    handle: (id: string) => {
      store.kv.set(`k:${id}`, id, 0);
      return 'stored';
    },
    onBatchFailure: (e) => `failed: ${(e as { code?: string }).code ?? '?'}`,
    defer: d.defer,
  });
  const answers = [handle('a'), handle('b')];
  d.run();
  assert.deepEqual(await Promise.all(answers), ['failed: STORE_FAILED', 'failed: STORE_FAILED']);
  assert.equal(store.kv.get('k:a'), null, 'rolled back');
});
