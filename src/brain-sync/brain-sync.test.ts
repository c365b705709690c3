import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../ports/logger.ts';
import type { AuditEntry, Store } from '../ports/store.ts';
import { isMeshError } from '../protocol/errors.ts';
import type { JsonValue } from '../protocol/json.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { seededIds } from '../testing/conversation-harness.ts';
import { Deferred, FakeTransport, httpResult, networkFailure } from '../testing/fake-transport.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { readCursor, runBrainSync, type BrainSyncDeps } from './brain-sync.ts';

const URL = 'http://127.0.0.1:8900';
const T0 = Date.UTC(2026, 0, 1);

function audit(over: Partial<AuditEntry>): AuditEntry {
  return {
    ts: T0, direction: 'out', status: 'sent', id: 'msg_1', from: 'alpha', to: 'beta', type: 'request', subject: 'hello',
    correlationId: null, conversationId: null, signed: true, encrypted: false, detail: null, ...over,
  };
}

function setUp(): { store: Store; transport: FakeTransport; deps: BrainSyncDeps; clock: ManualClock } {
  const store = createMemoryStore();
  const transport = new FakeTransport();
  const clock = new ManualClock(T0);
  return { store, transport, clock, deps: { self: 'alpha', store, transport, clock, ids: seededIds(), logger: silentLogger } };
}

const bodies = (t: FakeTransport): { text: string; agent: string; source_file: string; id: string }[] =>
  t.sent.map((r) => JSON.parse(r.body) as { text: string; agent: string; source_file: string; id: string });

describe('brain sync', () => {
  test('audit entries, then conversation events, as bash ingest bodies with an id; a second run posts nothing', async () => {
    const { store, transport, deps } = setUp();
    const a1 = store.audit.append(audit({ correlationId: 'msg_0' }));
    store.events.append('message.queued', { id: 'msg_1', peer: 'beta', messageType: 'request' } as JsonValue, T0);
    const e2 = store.events.append('round.closed', { conversationId: 'conv_1_ab', round: 1, status: 'complete', answered: 2, expected: 2 } as JsonValue, T0 + 1000);
    const r = await runBrainSync(deps, { url: `${URL}/`, token: 'sekret', timeoutMs: 2000 });
    assert.deepEqual(transport.sent.map((x) => [x.url, x.token, x.headers?.['idempotency-key']]), [
      [`${URL}/ingest`, 'sekret', `mesh:alpha:audit:${a1}`],
      [`${URL}/ingest`, 'sekret', `mesh:alpha:event:${e2}`],
    ]);
    assert.deepEqual(bodies(transport), [
      { text: 'MESH request at 2026-01-01T00:00:00.000Z: alpha → beta [sent]. hello (correlation: msg_0)', agent: 'mesh-alpha', source_file: 'mesh-audit', id: `mesh:alpha:audit:${a1}` },
      { text: 'MESH conversation conv_1_ab round 1 closed at 2026-01-01T00:00:01.000Z: complete, 2/2 answered', agent: 'mesh-alpha', source_file: 'mesh-conversations', id: `mesh:alpha:event:${e2}` },
    ]);
    assert.deepEqual(Object.keys(bodies(transport)[0] ?? {}), ['text', 'agent', 'source_file', 'id'], 'bash\'s keys first');
    assert.deepEqual([r.posted, r.skippedEvents, r.failed, r.caughtUp, r.cursor], [{ audit: 1, events: 1 }, 1, null, true, { auditSeq: a1, eventSeq: e2 }]);
    assert.doesNotMatch(JSON.stringify(r), /sekret/);

    const again = await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 });
    assert.deepEqual([again.posted, transport.sent.length, again.caughtUp], [{ audit: 0, events: 0 }, 2, true]);
  });

  test('a failed post stops the run; the next one resumes with that entry, nothing twice', async () => {
    const { store, transport, deps } = setUp();
    const seqs = [1, 2, 3, 4].map((i) => store.audit.append(audit({ id: `msg_${i}`, subject: `s${i}` })));
    transport.script(httpResult(200), httpResult(201), httpResult(500));
    const first = await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 });
    assert.deepEqual([first.posted.audit, first.failed, first.caughtUp], [2, { id: `mesh:alpha:audit:${seqs[2]}`, error: 'http_500' }, false]);
    assert.equal(readCursor(store, URL).auditSeq, seqs[1]);
    transport.script(networkFailure('timeout'));
    const second = await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 });
    assert.deepEqual(second.failed, { id: `mesh:alpha:audit:${seqs[2]}`, error: 'timeout' });
    const third = await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 });
    assert.deepEqual([third.posted.audit, third.caughtUp], [2, true]);
    const delivered = transport.sent.map((x) => (JSON.parse(x.body) as { id: string }).id);
    // Posts: s1 s2 s3(500) s3(timeout) s3 s4 — every entry reached the receiver once with a 2xx.
    assert.deepEqual(delivered.map((id) => Number(id.split(':').at(-1))), [seqs[0], seqs[1], seqs[2], seqs[2], seqs[2], seqs[3]]);
  });

  test('one run per URL at a time: a second is refused while the first holds the lease; cursors are per URL', async () => {
    const { store, transport, deps, clock } = setUp();
    store.audit.append(audit({}));
    const held = new Deferred();
    transport.script(held);
    const running = runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 });
    await assert.rejects(runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 }), (e) => isMeshError(e) && e.code === 'ALREADY_RUNNING');
    const other = await runBrainSync(deps, { url: 'http://127.0.0.1:8901', token: null, timeoutMs: 2000 });
    assert.equal(other.posted.audit, 1, 'another URL has its own cursor and lease');
    held.resolve(httpResult(200));
    assert.equal((await running).posted.audit, 1);
    assert.equal((await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 })).posted.audit, 0, 'released');

    // A lease left by a crashed run frees itself once it runs out.
    store.kv.set(`brainSync:lease:${URL}/ingest`, { owner: 'gone', until: clock.now() + 1000 }, clock.now());
    await assert.rejects(runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 }), (e) => isMeshError(e) && e.code === 'ALREADY_RUNNING');
    clock.advance(1001);
    assert.equal((await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000 })).caughtUp, true);
  });

  test('dry run lists, posts nothing and moves no cursor; maxPosts bounds a run', async () => {
    const { store, transport, deps } = setUp();
    for (let i = 0; i < 3; i++) store.audit.append(audit({ subject: `s${i}` }));
    store.events.append('conversation.status', { conversationId: 'conv_1_ab', status: 'timeout', reason: null } as JsonValue, T0);
    const dry = await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000, dryRun: true });
    assert.deepEqual([dry.entries.length, transport.sent.length, dry.cursor], [4, 0, { auditSeq: 0, eventSeq: 0 }]);
    const part = await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000, maxPosts: 2 });
    assert.deepEqual([part.posted, part.caughtUp], [{ audit: 2, events: 0 }, false]);
    const rest = await runBrainSync(deps, { url: URL, token: null, timeoutMs: 2000, maxPosts: 2 });
    assert.deepEqual([rest.posted, rest.caughtUp], [{ audit: 1, events: 1 }, true]);
    assert.match(bodies(transport).at(-1)?.text ?? '', /^MESH conversation conv_1_ab at .*: status timeout$/);
  });
});
