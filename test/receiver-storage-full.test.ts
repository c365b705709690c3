/**
 * The receiving side on a full disk: the inbound pipeline inside the daemon's group commit, on a real
 * SQLite file capped with max_page_count so that storing a message fails with a real SQLITE_FULL.
 * Every message of the batch is answered 507 `storage_full` (none was stored, so none may be
 * acknowledged), the log says "disk full" with the database path, and nothing half-written survives.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { createInboundPipeline } from '../src/inbound/inbound-pipeline.ts';
import { envelopeEntries, jqText, peer, recorder, signText, staticKeys, staticPeers, T0, testId } from '../src/inbound/test-fixtures.ts';
import type { InboundRequest, InboundResult } from '../src/inbound/types.ts';
import { createGroupCommit } from '../src/node/group-commit.ts';
import { batchFailureResult } from '../src/node/node-http.ts';
import { wrapForHook } from '../src/protocol/hook.ts';
import type { JsonValue } from '../src/protocol/json.ts';
import { openSqliteStore } from '../src/store/sqlite/open-sqlite-store.ts';
import { ManualClock } from '../src/testing/manual-clock.ts';

const KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const root = mkdtempSync(join(tmpdir(), 'mesh-rx-full-'));
after(() => rmSync(root, { recursive: true, force: true }));

let files = 0;
function setup() {
  const path = join(root, `rx-${++files}.db`);
  openSqliteStore(path).close();
  const db = new DatabaseSync(path);
  const { page_count: pages } = db.prepare('PRAGMA page_count').get() as { page_count: number };
  db.close();
  // Room for a few small messages, not for a 200 KB one.
  const store = openSqliteStore(path, { maxPageCount: pages + 4 });
  const rec = recorder();
  const pipeline = createInboundPipeline({
    self: 'beta',
    store,
    peers: staticPeers('beta', [peer('alpha', 'hmac')]),
    keys: staticKeys({ alpha: KEY }),
    clock: new ManualClock(T0 + 10_000),
    events: rec.eventSink,
    audit: rec.auditSink,
    logger: rec.logger,
    options: { handOff: false },
  });
  const handle = createGroupCommit<InboundRequest, InboundResult>({
    store,
    handle: (req) => pipeline.handle(req),
    onBatchFailure: (e) => batchFailureResult(rec.logger, e),
  });
  const post = (n: number, body = 'hello'): Promise<InboundResult> => {
    const over: Record<string, JsonValue> = { payload: new Map<string, JsonValue>([['subject', 's'], ['body', body], ['attachments', []], ['metadata', new Map()]]) };
    return handle({ pathSender: 'alpha', bodyText: wrapForHook(signText(jqText(envelopeEntries(n, over)), KEY)), wrapped: true });
  };
  return { path, store, rec, post };
}

const BIG = 'x'.repeat(200 * 1024);

describe('receiver on a full disk', () => {
  test('a message that does not fit is answered 507 storage_full and logged as a full disk with the database path', async () => {
    const h = setup();
    try {
      const r = await h.post(1, BIG);
      assert.equal(r.status, 507, JSON.stringify(r.body));
      assert.equal(r.body.code, 'storage_full');
      assert.equal(h.store.inbox.get(testId(1)), null);
      const diskFull = h.rec.logs.filter((l) => l.level === 'error' && /disk full/.test(l.msg));
      assert.ok(diskFull.length > 0, JSON.stringify(h.rec.logs));
      for (const l of diskFull) assert.equal(l.fields?.['path'], h.path);
      assert.ok(!h.rec.logs.some((l) => /internal error/.test(l.msg)), 'not reported as a generic internal error');
      // Once the disk has room for it, a message goes through.
      assert.equal((await h.post(2)).status, 202);
    } finally {
      h.store.close();
    }
  });

  test('a full disk mid-batch: every message of the batch gets 507, none is stored, none spends its nonce', async () => {
    const h = setup();
    try {
      // Three requests in one turn of the event loop: one group-commit batch.
      const answers = await Promise.all([h.post(1), h.post(2, BIG), h.post(3)]);
      assert.deepEqual(answers.map((a) => [a.status, a.body.code]), [[507, 'storage_full'], [507, 'storage_full'], [507, 'storage_full']]);
      for (const n of [1, 2, 3]) assert.equal(h.store.inbox.get(testId(n)), null, `message ${n} must not be stored`);
      // The senders retry later: the same messages are accepted, not refused as replays.
      assert.equal((await h.post(1)).status, 202);
      assert.equal((await h.post(3)).status, 202);
    } finally {
      h.store.close();
    }
  });
});
