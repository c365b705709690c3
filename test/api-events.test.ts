/**
 * GET /api/events in-process on a real node: replay from the log, then live from the in-process bus
 * and from events other processes append (polled); resume after a disconnect with no gap and no
 * duplicate; filters; heartbeats; a client that does not read is cut off, the others go on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MeshNode } from '../src/node/mesh-node.ts';
import { apiHarness, type ApiHarness, type ApiHarnessOptions } from './support/api-harness.ts';
import { waitFor } from './support/mesh-cluster.ts';
import { SseReader } from './support/sse-reader.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './support/timeouts.ts';

async function withApi(o: ApiHarnessOptions, fn: (h: ApiHarness) => Promise<void>): Promise<void> {
  const h = apiHarness({ pollIntervalMs: 20, ...o });
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

async function open(h: ApiHarness, path: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const r = await h.get(path, headers);
  if (r.status !== 200) assert.fail(`${r.status}: ${await r.text()}`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  return new SseReader(r.body as ReadableStream<Uint8Array>);
}

/** An event as a node's services emit it: persisted, then (in that process only) told to listeners. */
function health(node: MeshNode, i: number): void {
  node.events.emit({ type: 'peer.health', peer: `p${i}`, reachable: true, latencyMs: i });
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /api/events', () => {
  test('replays the log, then goes live with events from this process and from others, in order, once', () => withApi({}, async (h) => {
    health(h.node, 1);
    health(h.other, 2);
    health(h.node, 3);
    const s = await open(h, '/api/events?after=0');
    await s.until(() => s.seqs().length === 3, 10_000, 'the replay');
    assert.deepEqual(s.seqs(), [1, 2, 3]);
    const first = s.events[0];
    assert.equal(first?.event, 'peer.health');
    assert.deepEqual(JSON.parse(first?.data ?? ''), { seq: 1, ts: JSON.parse(first?.data ?? '').ts, type: 'peer.health', data: { peer: 'p1', reachable: true, latencyMs: 1 } });
    for (let i = 4; i <= 40; i++) health(i % 3 === 0 ? h.other : h.node, i); // interleaved: bus and database
    await s.until(() => s.seqs().length === 40, 10_000, '40 events');
    assert.deepEqual(s.seqs(), range(1, 40));
    await s.cancel();
  }));

  test('another process\'s write wakes the feed (database file watch); the poll is only the fallback', () => withApi({ pollIntervalMs: 600_000 }, async (h) => {
    const s = await open(h, '/api/events?after=0');
    health(h.node, 1); // the bus starts the feed's position
    await s.until(() => s.seqs().length === 1);
    health(h.other, 2);
    health(h.other, 3);
    await s.until(() => s.seqs().length === 3, 10_000, 'the other process\'s events long before the 10-minute poll');
    assert.deepEqual(s.seqs(), [1, 2, 3]);
    await s.cancel();
  }));

  test('a client that reconnects with Last-Event-ID gets exactly what it missed', () => withApi({}, async (h) => {
    for (let i = 1; i <= 5; i++) health(i % 2 === 0 ? h.other : h.node, i);
    const a = await open(h, '/api/events?after=0');
    await a.until(() => a.seqs().length === 5);
    await a.cancel(); // the connection drops mid-stream
    for (let i = 6; i <= 12; i++) health(i % 2 === 0 ? h.other : h.node, i); // missed while away
    assert.equal(a.lastEventId, '5');
    const b = await open(h, '/api/events?after=1', { 'last-event-id': a.lastEventId }); // the header wins over ?after
    await b.until(() => b.seqs().length === 7);
    for (let i = 13; i <= 15; i++) health(i % 2 === 0 ? h.other : h.node, i);
    await b.until(() => b.seqs().length === 10);
    const all = [...a.seqs(), ...b.seqs()];
    assert.deepEqual(all, range(1, 15), 'no gap, no duplicate');
    await b.cancel();
  }));

  test('without a position it starts at the end of the log; ?after resumes too', () => withApi({}, async (h) => {
    health(h.node, 1);
    health(h.node, 2);
    const live = await open(h, '/api/events');
    const after = await open(h, '/api/events?after=1');
    health(h.other, 3);
    await live.until(() => live.seqs().length === 1);
    await after.until(() => after.seqs().length === 2);
    assert.deepEqual(live.seqs(), [3]);
    assert.deepEqual(after.seqs(), [2, 3]);
    await live.cancel();
    await after.cancel();
  }));

  test('filters by type (exact or prefix) and conversation; heartbeats carry the position past filtered events', () => withApi({ heartbeatMs: 30 }, async (h) => {
    const s = await open(h, '/api/events?after=0&type=consensus.set,circuit.*');
    const c = await open(h, '/api/events?after=0&conversation=conv_1767225600_0000beef');
    h.node.events.emit({ type: 'circuit.opened', peer: 'beta', until: 1 });
    health(h.node, 2);
    h.other.events.emit({ type: 'consensus.set', conversationId: 'conv_1767225600_0000beef', round: 1, verdict: 'ok', setBy: 'alpha', basisCount: 2 });
    h.node.events.emit({ type: 'consensus.set', conversationId: 'conv_1767225600_00000000', round: 1, verdict: 'no', setBy: 'alpha', basisCount: 0 });
    health(h.node, 5);
    await s.until(() => s.seqs().length === 3);
    assert.deepEqual(s.events.map((e) => e.event), ['circuit.opened', 'consensus.set', 'consensus.set']);
    await c.until(() => c.seqs().length === 1);
    assert.deepEqual(c.seqs(), [3]);
    await c.until(() => c.lastEventId === '5', 5_000, 'a heartbeat with id 5');
    assert.ok(c.comments >= 2, 'heartbeat comments');
    assert.deepEqual(c.seqs(), [3], 'the id-only block is not an event');
    await s.cancel();
    await c.cancel();
  }));

  test('a position past the log says stream.reset; a pruned range says stream.truncated', () => withApi({}, async (h) => {
    for (let i = 1; i <= 4; i++) health(h.node, i);
    const ahead = await open(h, '/api/events', { 'last-event-id': '999' });
    const reset = await ahead.next();
    assert.equal(reset.event, 'stream.reset');
    assert.equal(reset.id, '4');
    assert.deepEqual(JSON.parse(reset.data), { requested: 999, latestSeq: 4 });
    health(h.node, 5);
    assert.equal((await ahead.next()).id, '5');
    h.other.store.events.prune(Date.now() + 1);
    health(h.node, 6);
    const behind = await open(h, '/api/events?after=2');
    const gap = await behind.next();
    assert.equal(gap.event, 'stream.truncated');
    assert.deepEqual(JSON.parse(gap.data), { after: 2, firstAvailable: 6 });
    assert.equal((await behind.next()).id, '6');
    await ahead.cancel();
    await behind.cancel();
  }));

  test('a burst makes nobody lose events; a client that does not read is cut off; the others keep receiving', () => withApi({ api: { eventStreamBufferBytes: 16_384, eventStreamStallMs: 300 } }, async (h) => {
    const slow = await h.get('/api/events?after=0'); // never read
    const fast = await open(h, '/api/events?after=0');
    assert.equal(h.api.context.streams.size, 2);
    const pad = 'x'.repeat(2000);
    // 400 KB in one synchronous burst: far more than either client's buffer.
    for (let i = 1; i <= 200; i++) h.node.events.emit({ type: 'message.rejected', from: pad, id: null, code: `c${i}` });
    await fast.until(() => fast.seqs().length === 200);
    assert.deepEqual(fast.seqs(), range(1, 200), 'the reading client lagged and caught up from the log: nothing lost, nothing twice');
    await waitFor('the slow client to be cut off', BACKGROUND_WORK_TIMEOUT_MS, () => (h.api.context.streams.size === 1 ? true : undefined), 20);
    assert.ok(h.logs.some((l) => l.level === 'warn' && /stopped reading, cut off/.test(l.msg)));
    await assert.rejects(async () => {
      const reader = (slow.body as ReadableStream<Uint8Array>).getReader();
      for (;;) if ((await reader.read()).done) break;
    }, /too slow/);
    health(h.node, 201);
    await fast.until(() => fast.seqs().length === 201);
    await fast.cancel();
  }));

  test('bad positions are refused; the number of streams is bounded', () => withApi({ api: { maxEventStreams: 1 } }, async (h) => {
    for (const id of ['abc', '-1', '1.5', '9'.repeat(16)]) {
      const r = await h.get('/api/events', { 'last-event-id': id });
      assert.equal(r.status, 400, id);
    }
    assert.equal((await h.get('/api/events?after=x')).status, 400);
    assert.equal((await h.get('/api/events?type=Bad%20Type')).status, 400);
    assert.equal((await h.get('/api/events?conversation=../x')).status, 400);
    const one = await open(h, '/api/events');
    const two = await h.get('/api/events');
    assert.equal(two.status, 503);
    assert.equal(((await two.json()) as { code: string }).code, 'too_many_streams');
    await one.cancel();
    await new Promise((r) => setTimeout(r, 10));
    const three = await open(h, '/api/events');
    await three.cancel();
  }));
});
