/**
 * Several real OS processes share one SQLite file, as CLI commands and the daemon do. Each runs
 * test/support/store-writer.ts; together they create the database, write concurrently and race
 * for the same messages, nonces and idempotency keys. Nothing may be lost, duplicated or refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SCHEMA_VERSION } from '../src/store/sqlite/migrate.ts';
import { openSqliteStore } from '../src/store/sqlite/open-sqlite-store.ts';
import { runToEnd } from './support/process-group.ts';
import { CHILD_PROCESS_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const WORKERS = 4;
const ITERATIONS = 2000;
const writer = join(import.meta.dirname, 'support', 'store-writer.ts');
const opener = join(import.meta.dirname, 'support', 'store-opener.ts');

interface WriterReport {
  worker: number;
  enqueued: number;
  claimed: string[];
  noncesWon: number[];
  inboxWon: number[];
  ms: number;
  error?: string;
  message?: string;
}

interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function runNode(script: string, args: readonly (string | number)[]): Promise<ChildResult> {
  return runToEnd(process.execPath, [script, ...args.map(String)], { timeoutMs: CHILD_PROCESS_TIMEOUT_MS });
}

function assertClean(r: ChildResult, who: string): void {
  assert.equal(r.signal, null, `${who} was killed (${r.signal}); stderr: ${r.stderr}`);
  assert.equal(r.code, 0, `${who} failed: ${r.stdout} ${r.stderr}`);
}

const count = (db: DatabaseSync, sql: string): number => Number((db.prepare(sql).get() as { n: number }).n);

test(`${WORKERS} processes × ${ITERATIONS} write rounds on one SQLite file: nothing lost, nothing handed out twice`, { timeout: SUITE_TIMEOUT_MS }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-store-mp-'));
  try {
    const path = join(dir, 'mesh.db');
    const started = performance.now();
    // Node starts in well under a second; the barrier makes every child open the new file together.
    const startAt = Date.now() + 1000;
    const results = await Promise.all(Array.from({ length: WORKERS },
      (_, k) => runNode(writer, [path, k, WORKERS, ITERATIONS, startAt])));
    const elapsedMs = Math.round(performance.now() - started);

    const reports = results.map((r, k) => {
      assertClean(r, `worker ${k}`);
      return JSON.parse(r.stdout) as WriterReport;
    });
    for (const r of reports) {
      assert.equal(r.error, undefined, `worker ${r.worker}: ${r.error} ${r.message}`);
      assert.equal(r.enqueued, ITERATIONS);
    }
    const total = WORKERS * ITERATIONS;

    const store = openSqliteStore(path);
    const raw = new DatabaseSync(path, { readOnly: true });
    try {
      // Every enqueued message is there, under its id.
      assert.equal(count(raw, 'SELECT COUNT(*) AS n FROM outbox'), total);
      for (let k = 0; k < WORKERS; k++) {
        for (let i = 0; i < ITERATIONS; i++) assert.notEqual(store.outbox.get(`w${k}-${i}`), null, `w${k}-${i} missing`);
      }

      // No message was handed to two workers, and every handed-out one was delivered exactly once.
      const claimed = reports.flatMap((r) => r.claimed);
      assert.ok(claimed.length > 0, 'the workers claimed something');
      assert.equal(new Set(claimed).size, claimed.length, 'a message was claimed by two workers');
      assert.equal(count(raw, `SELECT COUNT(*) AS n FROM outbox WHERE state = 'delivered'`), claimed.length);
      for (const id of claimed) assert.equal(store.outbox.get(id)?.state, 'delivered');

      // Audit: one 'queued' per message, one 'sent' per delivery; events gap-free 1..total.
      assert.equal(store.audit.query({ status: 'queued' }).length, total);
      assert.equal(store.audit.query({ status: 'sent' }).length, claimed.length);
      assert.equal(store.events.latestSeq(), total);
      const seqs = store.events.after(0).map((e) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1));

      // Each shared nonce and idempotency key was won by exactly one process.
      const nonces = reports.flatMap((r) => r.noncesWon).sort((a, b) => a - b);
      assert.deepEqual(nonces, Array.from({ length: ITERATIONS }, (_, i) => i));
      const keys = reports.flatMap((r) => r.inboxWon).sort((a, b) => a - b);
      assert.deepEqual(keys, Array.from({ length: ITERATIONS / 5 }, (_, i) => i * 5));
      assert.equal(count(raw, 'SELECT COUNT(*) AS n FROM inbox'), ITERATIONS / 5);
    } finally {
      raw.close();
      store.close();
    }
    console.log(`# multi-process store test: ${WORKERS} × ${ITERATIONS} rounds in ${elapsedMs} ms ` +
      `(writers: ${reports.map((r) => `${r.ms} ms`).join(', ')}; incl. ~1 s start barrier)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('many processes creating the same new database at the same moment all succeed', { timeout: SUITE_TIMEOUT_MS }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-store-open-'));
  const openers = 8;
  const rounds = 20;
  try {
    const startAt = Date.now() + 1000;
    const results = await Promise.all(Array.from({ length: openers }, (_, k) => runNode(opener, [dir, k, rounds, startAt, 80])));
    results.forEach((r, k) => assertClean(r, `opener ${k}`));
    for (let j = 0; j < rounds; j++) {
      const path = join(dir, `fresh-${j}.db`);
      assert.equal((statSync(path).mode & 0o777), 0o600);
      const raw = new DatabaseSync(path, { readOnly: true });
      try {
        assert.equal(count(raw, 'SELECT COUNT(*) AS n FROM outbox'), openers);
        assert.equal((raw.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, SCHEMA_VERSION);
        assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
      } finally {
        raw.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
