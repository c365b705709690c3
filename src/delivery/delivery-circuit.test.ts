import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeliveryHarness } from '../testing/delivery-harness.ts';
import { Deferred, httpResult, networkFailure } from '../testing/fake-transport.ts';

describe('delivery service: circuit breaker', () => {
  test('3 consecutive failures open the circuit; held messages wait for the cool-down, then exactly one probe', async () => {
    // Long retry delays keep the failed messages out of the way; we follow two new ones.
    const h = createDeliveryHarness({ retry: { delaysMs: [0, 600_000] } });
    h.transport.script(networkFailure(), networkFailure(), networkFailure());
    for (let i = 0; i < 3; i++) await h.service.attempt(h.enqueue('beta'));
    const opened = h.clock.now();
    assert.equal(h.breaker().state, 'open');
    assert.deepEqual(h.eventsOf('circuit.opened'), [{ type: 'circuit.opened', peer: 'beta', until: opened + 60_000 }]);

    const a = h.enqueue('beta');
    const b = h.enqueue('beta');
    const held = await h.service.attempt(a);
    assert.deepEqual(held, { id: a, status: 'queued', attempts: 0, reason: 'circuit_open', nextAttemptAt: opened + 60_000 });
    assert.equal(h.store.outbox.get(a)?.attempts, 0, 'a held turn is not an attempt');
    assert.equal(h.transport.sent.length, 3);
    assert.equal(h.audit.at(-1)?.status, 'circuit_open');

    // Other peers are not affected.
    assert.equal((await h.service.attempt(h.enqueue('gamma'))).status, 'delivered');
    const sentBefore = h.transport.sent.length;

    h.clock.advance(30_000);
    const auditRows = h.audit.length;
    assert.equal(await h.service.runDue(), 0, 'b is due, but its peer is not claimed while the circuit is open');
    assert.equal(h.transport.sent.length, sentBefore);
    assert.equal(h.store.outbox.get(b)?.leaseUntil, 0, 'no lease taken');
    assert.equal(h.audit.length, auditRows, 'and nothing written per held message');
    assert.equal(h.service.nextWakeAt(), opened + 60_000, 'the worker sleeps until the cool-down ends');

    h.clock.set(opened + 60_000);
    const probe = new Deferred();
    h.transport.script(probe);
    const tick = h.service.runDue();
    assert.equal(h.transport.sent.length, sentBefore + 1, 'exactly one probe goes out');
    assert.equal(h.breaker().state, 'half-open');
    probe.resolve(httpResult(202));
    assert.equal(await tick, 1, 'one request sent: the probe');
    assert.equal(h.breaker().state, 'closed');

    // The circuit is closed again: the rest goes out on the next tick.
    assert.ok((h.service.nextWakeAt() ?? Infinity) <= h.clock.now());
    assert.equal(await h.service.runDue(), 1);
    assert.equal(h.store.outbox.get(a)?.state, 'delivered');
    assert.equal(h.store.outbox.get(b)?.state, 'delivered');
    assert.deepEqual(h.events.filter((e) => e.type.startsWith('circuit.')).map((e) => e.type),
      ['circuit.opened', 'circuit.half_opened', 'circuit.closed']);
  });

  test('a failed probe re-opens the circuit for a new cool-down', async () => {
    const h = createDeliveryHarness({ retry: { delaysMs: [0, 600_000] } });
    h.transport.setDefault(httpResult(502));
    for (let i = 0; i < 3; i++) await h.service.attempt(h.enqueue('beta'));
    h.clock.advance(60_000);
    const id = h.enqueue('beta');
    const out = await h.service.attempt(id);
    assert.equal(out.status, 'queued');
    assert.equal(out.reason, 'retry_scheduled', 'it was the probe, and it failed');
    assert.equal(h.breaker().state, 'open');
    assert.equal(h.breaker().openUntil, h.clock.now() + 60_000);
    const other = await h.service.attempt(h.enqueue('beta'));
    assert.equal(other.reason, 'circuit_open');
    assert.equal(other.nextAttemptAt, h.clock.now() + 60_000);
  });

  test('two processes in half-open: only one sends the probe', async () => {
    const h = createDeliveryHarness({ retry: { delaysMs: [0, 600_000] } });
    const cli = h.newService();
    h.transport.script(networkFailure(), networkFailure(), networkFailure());
    for (let i = 0; i < 3; i++) await h.service.attempt(h.enqueue('beta'));
    h.clock.advance(60_000);
    const x = h.enqueue('beta');
    const y = h.enqueue('beta');
    const d = new Deferred();
    h.transport.script(d);
    const px = h.service.attempt(x);
    const oy = await cli.attempt(y);
    assert.equal(oy.reason, 'circuit_open');
    assert.equal(h.transport.sent.length, 4);
    d.resolve(httpResult(200));
    assert.equal((await px).status, 'delivered');
  });

  test('a peer removed from the registry while its circuit is open: its messages dead-letter on the next tick', async () => {
    // Nothing can be sent to a peer that is not in the registry, so there is nothing for the circuit to
    // protect: `mesh peer remove` takes effect on the worker's next pass, not after the cool-down.
    const h = createDeliveryHarness({ retry: { delaysMs: [0, 1_000, 1_000, 1_000] } });
    h.transport.setDefault(networkFailure());
    const id = h.enqueue('beta');
    for (let i = 0; i < 3; i++) {
      await h.service.runDue();
      h.clock.advance(1_000);
    }
    assert.equal(h.breaker().state, 'open');
    assert.equal(h.store.outbox.get(id)?.state, 'pending');

    h.peers.byName.delete('beta');
    assert.ok((h.service.nextWakeAt() ?? Infinity) <= h.clock.now(), 'the worker does not sleep out the cool-down');
    await h.service.runDue();
    assert.equal(h.store.deadLetters.get(id)?.reason, 'unknown_peer');
    assert.equal(h.transport.sent.length, 3, 'nothing more was sent');
  });
});
