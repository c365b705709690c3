/**
 * One writer process for test/store-multiprocess.test.ts.
 * Usage: node store-writer.ts <db path> <worker index> <workers> <iterations> <start at epoch ms>
 * Waits for the shared start time, opens the (possibly not yet created) database, and runs
 * `iterations` rounds of writes that race with the other workers. Prints one JSON line with what
 * it did and exits 0; on any error prints the error code and exits 1.
 */
import { openSqliteStore } from '../../src/store/sqlite/open-sqlite-store.ts';
import type { Store } from '../../src/ports/store.ts';

const [path, workerArg, workersArg, iterationsArg, startAtArg] = process.argv.slice(2);
if (path === undefined || startAtArg === undefined) throw new Error('usage: store-writer <db> <worker> <workers> <iterations> <startAt>');
const worker = Number(workerArg);
const workers = Number(workersArg);
const iterations = Number(iterationsArg);
const LEASE_MS = 10 * 60_000;

// Start barrier: every worker opens the database at (nearly) the same moment.
const waitMs = Number(startAtArg) - Date.now();
if (waitMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, waitMs);

const started = performance.now();
const claimed: string[] = [];
const noncesWon: number[] = [];
const inboxWon: number[] = [];
let enqueued = 0;

function deliver(store: Store, ids: readonly string[], now: number): void {
  store.transaction(() => {
    for (const id of ids) {
      store.outbox.markDelivered(id, now);
      store.audit.append({
        ts: now, direction: 'out', status: 'sent', id, from: `w${worker}`, to: 'peer', type: 'request', subject: null,
        correlationId: null, conversationId: null, signed: true, encrypted: false, detail: null,
      });
    }
  });
  claimed.push(...ids);
}

try {
  const store = openSqliteStore(path);
  for (let i = 0; i < iterations; i++) {
    const now = Date.now();
    const id = `w${worker}-${i}`;
    store.transaction(() => {
      if (store.outbox.enqueue({
        id, peer: `peer${i % 3}`, type: 'request', envelope: `{"id":"${id}"}`, sessionKey: null,
        createdAt: now, expiresAt: now + 3_600_000, nextAttemptAt: 0,
      })) enqueued += 1;
      store.audit.append({
        ts: now, direction: 'out', status: 'queued', id, from: `w${worker}`, to: `peer${i % 3}`, type: 'request',
        subject: null, correlationId: null, conversationId: null, signed: true, encrypted: false, detail: null,
      });
      store.events.append('message.queued', { id }, now);
    });
    // Every worker races for the same nonce: exactly one may win it.
    if (store.nonces.checkAndRecord('shared', `n${i}`, now, now + 3_600_000)) noncesWon.push(i);
    if (i % 5 === 0) {
      const r = store.inbox.insert({
        id: `w${worker}-in-${i}`, from: 'alpha', to: 'beta', type: 'request', correlationId: null, conversationId: null,
        idempotencyKey: `key${i}`, subject: 's', envelope: '{}', body: 'b', auth: 'hmac', receivedAt: now,
        deliveryState: 'none', nextDeliveryAt: now,
      });
      if (r.inserted) inboxWon.push(i);
    }
    if (i % 4 === 3) {
      const got = store.outbox.claimDue(now, 3, LEASE_MS);
      deliver(store, got.map((m) => m.id), now);
    }
    if (i % 7 === 0) {
      // Reach for a neighbour's fresh message directly, as a CLI's first attempt would.
      const one = store.outbox.claim(`w${(worker + 1) % workers}-${i}`, now, LEASE_MS);
      if (one !== null) deliver(store, [one.id], now);
    }
  }
  store.close();
  process.stdout.write(`${JSON.stringify({
    worker, enqueued, claimed, noncesWon, inboxWon, ms: Math.round(performance.now() - started),
  })}\n`);
} catch (e) {
  const code = (e as { code?: unknown }).code;
  process.stdout.write(`${JSON.stringify({ worker, error: String(code ?? 'unknown'), message: (e as Error).message })}\n`);
  process.exitCode = 1;
}
