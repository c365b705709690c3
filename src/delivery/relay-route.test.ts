import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RoutedMessage, Router } from '../ports/routing.ts';
import { unwrapHookBody } from '../protocol/hook.ts';
import { createDeliveryHarness, testPeer } from '../testing/delivery-harness.ts';
import { httpResult } from '../testing/fake-transport.ts';

/** A router that names `relay` for every peer (the delivery service decides when to ask). */
class FixedRouter implements Router {
  relay: string | null = 'gamma';
  readonly asked: { peer: string; message: RoutedMessage }[] = [];
  relayFor(peer: string, message: RoutedMessage): string | null {
    this.asked.push({ peer, message });
    return this.relay;
  }
}

function harness() {
  const router = new FixedRouter();
  const h = createDeliveryHarness({ retry: { delaysMs: [0, 5_000, 15_000] } }, undefined, { router });
  const openBeta = (): void => {
    for (let i = 0; i < 3; i++) h.service.breaker.recordFailure('beta', h.clock.now());
    assert.equal(h.breaker('beta').state, 'open');
  };
  return { h, router, openBeta };
}

describe('delivery through the relay', () => {
  test('a peer whose circuit is closed is sent to directly; the router is not even asked', async () => {
    const { h, router } = harness();
    const id = h.enqueue('beta', { signed: true });
    assert.equal((await h.service.attempt(id)).status, 'delivered');
    assert.equal(h.transport.sent[0]?.url, 'http://beta.test:18789/hooks/alpha');
    assert.deepEqual(router.asked, []);
  });

  test('circuit open: posted to the relay\'s /hooks/<self> with its token, marker appended after the signature', async () => {
    const { h, router, openBeta } = harness();
    openBeta();
    const id = h.enqueue('beta', { signed: true });
    const stored = h.store.outbox.get(id)?.envelope as string;
    const r = await h.service.attempt(id);
    assert.equal(r.status, 'delivered');
    const req = h.transport.sent[0];
    assert.equal(req?.url, 'http://gamma.test:18789/hooks/alpha');
    assert.equal(req?.token, 'secret-token-of-gamma');
    const sent = unwrapHookBody(req?.body as string);
    assert.equal(sent.sessionKey, null);
    assert.equal(sent.envelopeText, `${stored.slice(0, -1)},"relay":{"from":"alpha","via":"gamma","originalTo":"beta"}}`);
    assert.deepEqual(router.asked, [{ peer: 'beta', message: { signed: true } }]);
    // The relay took the outcome; the peer's own circuit is untouched (bash closed the target's).
    assert.equal(h.breaker('beta').state, 'open');
    assert.equal(h.breaker('gamma').consecutiveFailures, 0);
    assert.deepEqual(h.eventsOf('message.delivered'), [{ type: 'message.delivered', id, peer: 'beta', attempts: 1, status: 202, via: 'gamma' }]);
    assert.equal(h.audit.at(-1)?.status, 'relayed_via_gamma');
    assert.equal(h.audit.at(-1)?.to, 'beta');
    assert.equal(h.store.outbox.get(id)?.state, 'delivered');
  });

  test('the relay failing counts against the relay, and the message is retried (re-routed) later', async () => {
    const { h, openBeta } = harness();
    openBeta();
    h.transport.script(httpResult(503));
    const id = h.enqueue('beta');
    const r = await h.service.attempt(id);
    assert.deepEqual([r.status, r.reason, r.error], ['queued', 'retry_scheduled', 'http_503']);
    assert.equal(h.breaker('gamma').consecutiveFailures, 1);
    assert.match(h.audit.at(-1)?.detail ?? '', /via gamma$/);
  });

  test('no relay named: held by the peer\'s open circuit as before', async () => {
    const { h, router, openBeta } = harness();
    router.relay = null;
    openBeta();
    const id = h.enqueue('beta');
    const r = await h.service.attempt(id);
    assert.deepEqual([r.status, r.reason], ['queued', 'circuit_open']);
    assert.equal(h.transport.sent.length, 0);
  });

  test('the worker does not wait for the peer\'s cool-down when a relay can take its messages', async () => {
    const { h, openBeta } = harness();
    openBeta();
    h.enqueue('beta');
    h.enqueue('beta');
    assert.equal(await h.service.runDue(), 2);
    assert.deepEqual(h.transport.sent.map((r) => r.url), ['http://gamma.test:18789/hooks/alpha', 'http://gamma.test:18789/hooks/alpha']);
  });

  test('an envelope forwarded for another sender goes to /hooks/<its sender>, unchanged, and is never relayed again', async () => {
    const { h, router } = harness();
    h.peers.byName.set('delta', testPeer('delta'));
    for (let i = 0; i < 3; i++) h.service.breaker.recordFailure('delta', h.clock.now());
    const text = '{"protocol":"mesh/1.0","id":"msg_00000000-0000-4000-8000-0000000000aa","timestamp":"2026-01-01T00:00:00.000Z",' +
      '"from":"beta","to":"delta","type":"notification","payload":{"subject":"s","body":"b","attachments":[],"metadata":{}},' +
      '"signature":"sha256:x","relay":{"from":"beta","via":"alpha","originalTo":"delta"}}';
    const now = h.clock.now();
    h.store.outbox.enqueue({ id: 'msg_00000000-0000-4000-8000-0000000000aa', peer: 'delta', type: 'notification', envelope: text, sessionKey: null, createdAt: now, expiresAt: now + 60_000, nextAttemptAt: now });
    h.clock.advance(60_000 - 1); // not yet out of delta's cool-down: held, not relayed
    const held = await h.service.attempt('msg_00000000-0000-4000-8000-0000000000aa');
    assert.deepEqual([held.status, held.reason], ['queued', 'circuit_open']);
    assert.deepEqual(router.asked, []);
    h.service.breaker.recordSuccess('delta', h.clock.now());
    const r = await h.service.attempt('msg_00000000-0000-4000-8000-0000000000aa');
    assert.equal(r.status, 'delivered');
    assert.equal(h.transport.sent[0]?.url, 'http://delta.test:18789/hooks/beta');
    assert.equal(unwrapHookBody(h.transport.sent[0]?.body as string).envelopeText, text);
  });
});
