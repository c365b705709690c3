/**
 * EventSubscription on a real SQLite home: replay from a cursor, then live events from this process
 * (the bus) and from another connection (the log, as another process would write it), in order,
 * once each; filters advance the cursor; a reader that stops and resumes from `cursor` misses nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventSubscription } from '../src/node/event-subscription.ts';
import { openNode, type MeshNode } from '../src/node/mesh-node.ts';
import type { MeshEventRecord } from '../src/ports/store.ts';
import { makeHome, type TestHome } from './support/cli-harness.ts';

let h: TestHome;
/** A second handle on the same home: its events reach `h.node` only through the database. */
let other: MeshNode;

before(() => {
  h = makeHome();
  other = openNode({ home: h.home, env: {} });
});
after(async () => {
  await other.close();
  await h.cleanup();
});

const emit = (n: MeshNode, peer: string): void => n.events.emit({ type: 'circuit.closed', peer });
const peerOf = (r: MeshEventRecord): string => String((r.data as Record<string, unknown>)['peer']);

async function take(sub: EventSubscription, n: number): Promise<MeshEventRecord[]> {
  const got: MeshEventRecord[] = [];
  while (got.length < n) {
    const r = await sub.next();
    if (r.done === true) break;
    got.push(r.value);
  }
  return got;
}

test('replays after the cursor, then follows this process and another one, in sequence', async () => {
  const start = h.node.store.events.latestSeq();
  emit(h.node, 'a');
  emit(other, 'b');
  const sub = new EventSubscription(h.node, { after: start, pollIntervalMs: 20 });
  try {
    assert.deepEqual((await take(sub, 2)).map(peerOf), ['a', 'b']);
    const waiting = take(sub, 3);
    emit(other, 'c'); // only the log (and the WAL hint) tells h.node
    emit(h.node, 'd'); // the bus tells it at once, but c comes first
    emit(other, 'e');
    const got = await waiting;
    assert.deepEqual(got.map(peerOf), ['c', 'd', 'e']);
    const seqs = got.map((r) => r.seq);
    assert.deepEqual(seqs, [seqs[0] as number, (seqs[0] as number) + 1, (seqs[0] as number) + 2]);
    assert.equal(sub.cursor, h.node.store.events.latestSeq());
  } finally {
    sub.close();
  }
});

test('a filter passes events over but moves the cursor; resuming from the cursor repeats and misses nothing', async () => {
  const start = h.node.store.events.latestSeq();
  for (const p of ['x1', 'x2', 'x3']) emit(other, p);
  other.events.emit({ type: 'circuit.half_opened', peer: 'skipped' });
  for (const p of ['x4', 'x5']) emit(other, p);
  const first = new EventSubscription(h.node, { after: start, filter: { types: ['circuit.closed'] }, pollIntervalMs: 20 });
  const got = await take(first, 2);
  const cursor = first.cursor;
  first.close();
  assert.deepEqual(got.map(peerOf), ['x1', 'x2']);
  assert.equal(cursor, got[1]?.seq, 'the cursor stands at the last record taken, not at what was read ahead');
  const second = new EventSubscription(h.node, { after: cursor, filter: { types: ['circuit.*'] }, pollIntervalMs: 20 });
  try {
    assert.deepEqual((await take(second, 4)).map(peerOf), ['x3', 'skipped', 'x4', 'x5']);
  } finally {
    second.close();
  }
});

test('an abort ends a waiting next(); a default subscription starts at the end of the log', async () => {
  emit(other, 'old');
  const ac = new AbortController();
  const sub = new EventSubscription(h.node, { signal: ac.signal, pollIntervalMs: 20 });
  const pending = sub.next();
  ac.abort();
  assert.deepEqual(await pending, { done: true, value: undefined });
  assert.equal(sub.closed, true);
  const live = new EventSubscription(h.node, { pollIntervalMs: 20 });
  try {
    emit(other, 'new');
    assert.deepEqual((await take(live, 1)).map(peerOf), ['new']);
  } finally {
    live.close();
  }
});

test('bad options are INVALID_ARGUMENT', () => {
  assert.throws(() => new EventSubscription(h.node, { after: -1 }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => new EventSubscription(h.node, { pollIntervalMs: 0 }), { code: 'INVALID_ARGUMENT' });
});
