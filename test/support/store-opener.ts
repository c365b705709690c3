/**
 * One opener process for test/store-multiprocess.test.ts.
 * Usage: node store-opener.ts <dir> <worker index> <rounds> <start at epoch ms> <slot ms>
 * In round j (at startAt + j * slot) every opener opens the brand-new `<dir>/fresh-<j>.db` at the
 * same moment, so file creation, the switch to WAL and the first migration race each other.
 * Prints {"ok":true} or the error code, one JSON line.
 */
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/open-sqlite-store.ts';

const [dir, workerArg, roundsArg, startAtArg, slotArg] = process.argv.slice(2);
if (dir === undefined || slotArg === undefined) throw new Error('usage: store-opener <dir> <worker> <rounds> <startAt> <slotMs>');
const sleeper = new Int32Array(new SharedArrayBuffer(4));

try {
  for (let j = 0; j < Number(roundsArg); j++) {
    const waitMs = Number(startAtArg) + j * Number(slotArg) - Date.now();
    if (waitMs > 0) Atomics.wait(sleeper, 0, 0, waitMs);
    const store = openSqliteStore(join(dir, `fresh-${j}.db`));
    store.outbox.enqueue({
      id: `w${workerArg}`, peer: 'beta', type: 'request', envelope: '{}', sessionKey: null, createdAt: 0,
      expiresAt: Number.MAX_SAFE_INTEGER, nextAttemptAt: 0,
    });
    store.close();
  }
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String((e as { code?: unknown }).code), message: (e as Error).message })}\n`);
  process.exitCode = 1;
}
