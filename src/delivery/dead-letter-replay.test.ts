import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeliveryHarness, type DeliveryHarness } from '../testing/delivery-harness.ts';
import { httpResult, networkFailure } from '../testing/fake-transport.ts';

/** One attempt only, so a single failure dead-letters. */
const single = (): DeliveryHarness => createDeliveryHarness({ retry: { delaysMs: [0] } });

async function deadLetter(h: DeliveryHarness, peer = 'beta', ttlMs?: number, fail = networkFailure()): Promise<string> {
  h.transport.script(fail);
  const id = h.enqueue(peer, ttlMs === undefined ? {} : { ttlMs });
  const out = await h.service.attempt(id);
  assert.equal(out.status, 'dead_lettered');
  return id;
}

describe('dead letters: automatic replay', () => {
  test('a successful probe requeues, then the worker delivers the same id and bytes', async () => {
    const h = single();
    const id = await deadLetter(h);
    const firstBody = h.transport.sent[0]?.body;
    h.transport.scriptProbe(httpResult(503));

    const miss = await h.service.autoReplayTick();
    assert.deepEqual(miss, { probed: 1, replayed: 0, expired: 0 });
    assert.ok(h.store.deadLetters.get(id), 'still a dead letter while the peer is unhealthy');
    assert.deepEqual(h.transport.probes, [{ baseUrl: 'http://beta.test:18789', timeoutMs: 5_000 }]);

    h.clock.advance(30_000);
    const hit = await h.service.autoReplayTick();
    assert.deepEqual(hit, { probed: 1, replayed: 1, expired: 0 });
    assert.equal(h.store.deadLetters.get(id), null);
    const row = h.store.outbox.get(id);
    assert.equal(row?.state, 'pending');
    assert.equal(row?.attempts, 0, 'a replay gets a fresh retry schedule');
    assert.deepEqual(h.eventsOf('message.replayed'), [{ type: 'message.replayed', id, peer: 'beta' }]);
    assert.equal(h.audit.at(-1)?.status, 'replayed');
    assert.match(h.audit.at(-1)?.detail ?? '', /all_retries_exhausted/);

    assert.equal(await h.service.runDue(), 1);
    assert.equal(h.store.outbox.get(id)?.state, 'delivered');
    assert.equal(h.transport.sent.length, 2);
    assert.equal(h.transport.sent[1]?.body, firstBody, 'same bytes');
    assert.equal(h.transport.sent[1]?.headers?.['Idempotency-Key'], id, 'same id');
  });

  test('probes are rate-limited per peer', async () => {
    const h = single();
    await deadLetter(h);
    h.transport.setDefaultProbe(networkFailure());
    await h.service.autoReplayTick();
    await h.service.autoReplayTick();
    h.clock.advance(29_999);
    await h.service.autoReplayTick();
    assert.equal(h.transport.probes.length, 1);
    assert.equal(h.service.nextWakeAt(), h.clock.now() + 1);
    h.clock.advance(1);
    await h.service.autoReplayTick();
    assert.equal(h.transport.probes.length, 2);
  });

  test('no probe while the circuit is open; after the cool-down the health probe is the half-open probe', async () => {
    const h = single();
    h.transport.setDefault(networkFailure());
    for (let i = 0; i < 3; i++) await h.service.attempt(h.enqueue('beta'));
    assert.equal(h.breaker().state, 'open');
    const until = h.breaker().openUntil ?? 0;

    assert.deepEqual(await h.service.autoReplayTick(), { probed: 0, replayed: 0, expired: 0 });
    assert.equal(h.transport.probes.length, 0);
    assert.equal(h.service.nextWakeAt(), until, 'the worker wakes when the cool-down ends');

    h.clock.set(until);
    h.transport.setDefault(httpResult(202));
    const r = await h.service.autoReplayTick();
    assert.deepEqual(r, { probed: 1, replayed: 3, expired: 0 });
    assert.equal(h.breaker().state, 'closed');
    assert.deepEqual(h.events.filter((e) => e.type.startsWith('circuit.')).map((e) => e.type),
      ['circuit.opened', 'circuit.half_opened', 'circuit.closed']);
    assert.equal(await h.service.runDue(), 3);
    assert.equal(h.store.deadLetters.list().length, 0);
  });

  test('a failed health probe counts against the breaker', async () => {
    const h = single();
    await deadLetter(h);
    h.transport.setDefaultProbe(networkFailure('timeout'));
    await h.service.autoReplayTick();
    assert.equal(h.breaker().consecutiveFailures, 2);
    h.clock.advance(30_000);
    await h.service.autoReplayTick();
    assert.equal(h.breaker().state, 'open');
  });

  test('a 4xx health answer proves the peer is up (resets the count) but does not replay', async () => {
    const h = single();
    const id = await deadLetter(h);
    h.transport.scriptProbe(httpResult(404));
    assert.deepEqual(await h.service.autoReplayTick(), { probed: 1, replayed: 0, expired: 0 });
    assert.equal(h.breaker().consecutiveFailures, 0);
    assert.ok(h.store.deadLetters.get(id));
  });

  test('permanent rejections are not auto-replayed (no probe either); manual replay still requeues them', async () => {
    const h = single();
    const id = await deadLetter(h, 'beta', undefined, httpResult(401));
    assert.deepEqual(await h.service.autoReplayTick(), { probed: 0, replayed: 0, expired: 0 });
    assert.equal(h.transport.probes.length, 0);
    assert.deepEqual(h.service.replayDeadLetters({ id }), { replayed: 1, expired: 0 });
    assert.equal(h.store.outbox.get(id)?.state, 'pending');
  });

  test('peers missing from the registry are not probed; their letters replay once the peer is back', async () => {
    const h = single();
    const id = h.enqueue('gamma');
    const gamma = h.peers.get('gamma');
    h.peers.byName.delete('gamma');
    await h.service.attempt(id);
    assert.equal(h.store.deadLetters.get(id)?.reason, 'unknown_peer');
    assert.deepEqual(await h.service.autoReplayTick(), { probed: 0, replayed: 0, expired: 0 });
    if (gamma) h.peers.byName.set('gamma', gamma);
    h.clock.advance(30_000);
    assert.deepEqual(await h.service.autoReplayTick(), { probed: 1, replayed: 1, expired: 0 });
  });

  test('expired dead letters are purged, never probed for or replayed', async () => {
    const h = single();
    const id = await deadLetter(h, 'beta', 10_000);
    h.clock.advance(10_000);
    assert.deepEqual(await h.service.autoReplayTick(), { probed: 0, replayed: 0, expired: 1 });
    assert.equal(h.transport.probes.length, 0);
    assert.equal(h.store.deadLetters.get(id), null);
    assert.equal(h.store.outbox.get(id), null);
    assert.deepEqual(h.eventsOf('message.expired'), [{ type: 'message.expired', id, peer: 'beta' }]);
    assert.equal(h.service.nextWakeAt(), null);
  });
});

describe('dead letters: manual replay', () => {
  test('replays all, by peer, or by id; same id and bytes', async () => {
    const h = single();
    const b1 = await deadLetter(h, 'beta');
    const b2 = await deadLetter(h, 'beta');
    const g1 = await deadLetter(h, 'gamma');
    const envelope = h.store.deadLetters.get(b1)?.envelope;

    assert.deepEqual(h.service.replayDeadLetters({ id: b1 }), { replayed: 1, expired: 0 });
    assert.equal(h.store.outbox.get(b1)?.envelope, envelope);
    assert.ok(h.store.deadLetters.get(b2));
    assert.deepEqual(h.service.replayDeadLetters({ peer: 'gamma' }), { replayed: 1, expired: 0 });
    assert.ok(h.store.deadLetters.get(b2));
    assert.equal(h.store.outbox.get(g1)?.state, 'pending');
    assert.deepEqual(h.service.replayDeadLetters(), { replayed: 1, expired: 0 });
    assert.equal(h.store.deadLetters.list().length, 0);
    assert.deepEqual(h.service.replayDeadLetters(), { replayed: 0, expired: 0 });
    assert.deepEqual(h.service.replayDeadLetters({ id: 'msg_missing' }), { replayed: 0, expired: 0 });
    assert.deepEqual(h.service.replayDeadLetters({ id: b1, peer: 'gamma' }), { replayed: 0, expired: 0 });
  });

  test('expired dead letters are purged first and never replayed', async () => {
    const h = single();
    const old = await deadLetter(h, 'beta', 10_000);
    const fresh = await deadLetter(h, 'beta', 600_000);
    const other = await deadLetter(h, 'gamma', 10_000);
    h.clock.advance(10_000);
    assert.deepEqual(h.service.replayDeadLetters({ peer: 'beta' }), { replayed: 1, expired: 1 });
    assert.equal(h.store.outbox.get(old), null);
    assert.equal(h.store.deadLetters.get(old), null);
    assert.equal(h.store.outbox.get(fresh)?.state, 'pending');
    assert.equal(h.store.deadLetters.get(other), null, 'expired letters of other peers are purged too');
    assert.deepEqual(h.eventsOf('message.expired').map((e) => (e as { id: string }).id).sort(), [old, other].sort());
  });
});
