import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tryHoldLock } from './process-lock.ts';

test('one holder at a time; the refused one learns who holds it; release frees it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-lock-'));
  try {
    const path = join(dir, 'serve.lock');
    const first = tryHoldLock(path, { pid: 111, startedAt: 1_000 });
    assert.ok('held' in first);
    const second = tryHoldLock(path, { pid: 222, startedAt: 2_000 });
    assert.deepEqual(second, { heldBy: { pid: 111, startedAt: 1_000 } });
    first.held.release();
    first.held.release();
    const third = tryHoldLock(path, { pid: 333, startedAt: 3_000 });
    assert.ok('held' in third, 'free again after release');
    assert.deepEqual(tryHoldLock(path, { pid: 444, startedAt: 4_000 }), { heldBy: { pid: 333, startedAt: 3_000 } });
    third.held.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
