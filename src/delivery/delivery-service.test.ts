import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { wrapForHook } from '../protocol/hook.ts';
import { createDeliveryHarness, PEER_TOKEN } from '../testing/delivery-harness.ts';
import { Deferred, httpResult, networkFailure } from '../testing/fake-transport.ts';
import { isMeshError } from '../protocol/errors.ts';

describe('delivery service: attempts', () => {
  test('first attempt delivers: request shape, outbox state, audit and event', async () => {
    const h = createDeliveryHarness();
    const id = h.enqueue('beta', { signed: true, subject: 'Hello' });
    const envelope = h.store.outbox.get(id)?.envelope ?? '';

    const out = await h.service.attempt(id);

    assert.deepEqual(out, { id, status: 'delivered', attempts: 1, httpStatus: 202 });
    const [req] = h.transport.sent;
    assert.ok(req);
    assert.equal(req.url, 'http://beta.test:18789/hooks/alpha', 'path names the sender');
    assert.equal(req.token, PEER_TOKEN);
    assert.equal(req.body, wrapForHook(envelope, null));
    assert.deepEqual(req.headers, { 'Idempotency-Key': id, 'X-MESH-Signature': JSON.parse(envelope).signature });
    assert.equal(req.timeoutMs, 30_000);
    assert.equal(req.connectTimeoutMs, 10_000);

    const row = h.store.outbox.get(id);
    assert.equal(row?.state, 'delivered');
    assert.equal(row?.deliveredAt, h.clock.now());
    assert.deepEqual(h.events, [{ type: 'message.delivered', id, peer: 'beta', attempts: 1, status: 202 }]);
    assert.equal(h.audit.length, 1);
    assert.deepEqual({ ...h.audit[0], detail: undefined }, {
      ts: h.clock.now(), direction: 'out', status: 'sent', id, from: 'alpha', to: 'beta', type: 'notification',
      subject: 'Hello', correlationId: null, conversationId: null, signed: true, encrypted: false, detail: undefined,
    });
    assert.match(h.audit[0]?.detail ?? '', /http_202/);
    assert.equal(h.breaker().state, 'closed');
  });

  test('unsigned envelope: no signature header; encrypted flag is audited', async () => {
    const h = createDeliveryHarness();
    const id = h.enqueue('beta', { encrypted: true });
    await h.service.attempt(id);
    assert.deepEqual(h.transport.sent[0]?.headers, { 'Idempotency-Key': id });
    assert.equal(h.audit[0]?.signed, false);
    assert.equal(h.audit[0]?.encrypted, true);
  });

  test('session-routed messages go to /hooks/agent with the agent: prefix stripped', async () => {
    const h = createDeliveryHarness();
    h.peers.byName.set('beta', { ...h.peers.get('beta')!, baseUrl: 'http://beta.test:18789/', hookBasePath: '/hooks/' });
    const id = h.enqueue('beta', { sessionKey: 'agent:main:slack:thread:1' });
    await h.service.attempt(id);
    const req = h.transport.sent[0];
    assert.equal(req?.url, 'http://beta.test:18789/hooks/agent');
    assert.deepEqual(JSON.parse(req?.body ?? ''), { message: h.store.outbox.get(id)?.envelope, sessionKey: 'slack:thread:1' });
  });

  test('503, then success once the 5 s delay has passed', async () => {
    const h = createDeliveryHarness();
    h.transport.script(httpResult(503));
    const id = h.enqueue('beta');
    const t0 = h.clock.now();

    const first = await h.service.attempt(id);
    assert.deepEqual(first, {
      id, status: 'queued', attempts: 1, error: 'http_503', reason: 'retry_scheduled', nextAttemptAt: t0 + 5_000, httpStatus: 503,
    });
    assert.equal(h.store.outbox.get(id)?.lastError, 'http_503');
    assert.equal(h.service.nextWakeAt(), t0 + 5_000);

    h.clock.advance(4_999);
    assert.equal(await h.service.runDue(), 0);
    h.clock.advance(1);
    assert.equal(await h.service.runDue(), 1);
    assert.equal(h.store.outbox.get(id)?.state, 'delivered');
    assert.equal(h.transport.sent.length, 2);
    assert.equal(h.transport.sent[1]?.body, h.transport.sent[0]?.body, 'the retry resends the same bytes');
    assert.deepEqual(h.events.map((e) => e.type), ['message.retry_scheduled', 'message.delivered']);
    assert.deepEqual(h.eventsOf('message.delivered')[0], { type: 'message.delivered', id, peer: 'beta', attempts: 2, status: 202 });
    assert.deepEqual(h.audit.map((a) => a.status), ['retry_scheduled', 'sent']);
    assert.equal(h.service.nextWakeAt(), null);
  });

  test('four transient failures at 0/5/15/60 s end in dead letters with attempts = 4', async () => {
    const h = createDeliveryHarness();
    h.transport.setDefault(networkFailure('timeout'));
    const id = h.enqueue('beta');
    const t0 = h.clock.now();
    const sentAt: number[] = [];
    const origSend = h.transport.send.bind(h.transport);
    h.transport.send = (req) => {
      sentAt.push(h.clock.now() - t0);
      return origSend(req);
    };

    await h.service.attempt(id);
    for (let i = 0; i < 200 && h.store.outbox.get(id) !== null; i++) {
      h.clock.advance(1_000);
      await h.service.runDue();
    }

    assert.deepEqual(sentAt, [0, 5_000, 20_000, 80_000]);
    const dl = h.store.deadLetters.get(id);
    assert.equal(dl?.reason, 'all_retries_exhausted');
    assert.equal(dl?.attempts, 4);
    assert.equal(dl?.lastError, 'timeout');
    assert.equal(dl?.envelope, JSON.parse(h.transport.sent[0]?.body ?? '').message);
    assert.equal(h.store.outbox.get(id), null);
    assert.deepEqual(h.eventsOf('message.dead_lettered'), [
      { type: 'message.dead_lettered', id, peer: 'beta', reason: 'all_retries_exhausted', attempts: 4 },
    ]);
    assert.deepEqual(h.audit.map((a) => a.status), ['retry_scheduled', 'retry_scheduled', 'retry_scheduled', 'dead_lettered']);
  });

  test('a 4xx dead-letters at once and does not count against the breaker', async () => {
    const h = createDeliveryHarness();
    h.transport.setDefault(httpResult(404));
    for (let i = 0; i < 5; i++) {
      const id = h.enqueue('beta');
      const out = await h.service.attempt(id);
      assert.equal(out.status, 'dead_lettered');
      assert.equal(out.reason, 'client_error_404');
      assert.equal(out.attempts, 1);
      assert.equal(h.store.deadLetters.get(id)?.reason, 'client_error_404');
    }
    assert.equal(h.transport.sent.length, 5, 'every message was tried: the circuit never opened');
    assert.equal(h.breaker().state, 'closed');
    assert.equal(h.breaker().consecutiveFailures, 0);
    assert.deepEqual(h.eventsOf('circuit.opened'), []);
  });

  test('a 4xx resets the consecutive failure count', async () => {
    const h = createDeliveryHarness();
    h.transport.script(httpResult(503), httpResult(503), httpResult(400), httpResult(503));
    for (let i = 0; i < 4; i++) await h.service.attempt(h.enqueue('beta'));
    assert.equal(h.breaker().state, 'closed');
    assert.equal(h.breaker().consecutiveFailures, 1);
  });

  test('Retry-After longer than the schedule is honoured (503 and 429)', async () => {
    const h = createDeliveryHarness();
    h.transport.script(httpResult(503, 120_000), httpResult(429, 30_000));
    const id = h.enqueue('beta');
    const t0 = h.clock.now();
    assert.equal((await h.service.attempt(id)).nextAttemptAt, t0 + 120_000);
    h.clock.advance(119_999);
    assert.equal(await h.service.runDue(), 0);
    h.clock.advance(1);
    assert.equal(await h.service.runDue(), 1);
    // Second failure (429): scheduled 15 s, Retry-After 30 s wins.
    assert.equal(h.store.outbox.get(id)?.nextAttemptAt, h.clock.now() + 30_000);
    assert.equal(h.breaker().consecutiveFailures, 0, '429 proves the peer is up');
    h.clock.advance(30_000);
    await h.service.runDue();
    assert.equal(h.store.outbox.get(id)?.state, 'delivered');
  });

  test('submit: enqueue, queued event and lease in one transaction, then the first attempt', async () => {
    const h = createDeliveryHarness();
    const now = h.clock.now();
    const m = {
      id: 'm-submit', peer: 'beta', type: 'notification', envelope: '{"id":"m-submit","to":"beta"}', sessionKey: null,
      createdAt: now, expiresAt: now + 60_000, nextAttemptAt: now,
    };
    let leasedDuringSend = false;
    h.transport.setDefault(httpResult(202));
    const realSend = h.transport.send.bind(h.transport);
    h.transport.send = (req) => {
      leasedDuringSend = (h.store.outbox.get('m-submit')?.leaseUntil ?? 0) > now;
      return realSend(req);
    };
    assert.deepEqual(await h.service.submit(m), { id: 'm-submit', status: 'delivered', attempts: 1, httpStatus: 202 });
    assert.ok(leasedDuringSend, 'the message was leased before the request went out');
    assert.deepEqual(h.eventsOf('message.queued'), [{ type: 'message.queued', id: 'm-submit', peer: 'beta', messageType: 'notification' }]);
    // The same id again: nothing new is queued; the existing (delivered) message is reported.
    assert.equal((await h.service.submit(m)).status, 'delivered');
    assert.equal(h.eventsOf('message.queued').length, 1);
    assert.equal(h.transport.sent.length, 1);
  });

  test('a 429 holds the whole peer for its Retry-After and does not use up the retry budget', async () => {
    const h = createDeliveryHarness({ retry: { delaysMs: [0] } });
    h.transport.script(httpResult(429, 10_000));
    const first = h.enqueue('beta');
    const second = h.enqueue('beta');
    const t0 = h.clock.now();
    const out = await h.service.attempt(first);
    assert.deepEqual(out, { id: first, status: 'queued', attempts: 0, error: 'http_429', reason: 'throttled', nextAttemptAt: t0 + 10_000, httpStatus: 429 });
    assert.equal(h.store.deadLetters.get(first), null, 'one attempt allowed, yet not dead-lettered');
    assert.equal(h.audit.at(-1)?.status, 'throttled');

    // The other message of beta is due but waits with it; gamma is not affected.
    const other = h.enqueue('gamma');
    assert.equal(await h.service.runDue(), 1);
    assert.equal(h.store.outbox.get(other)?.state, 'delivered');
    assert.equal(h.store.outbox.get(second)?.attempts, 0);
    assert.equal(h.transport.sent.length, 2);
    assert.equal(h.service.nextWakeAt(), t0 + 10_000);

    h.clock.advance(10_000);
    assert.equal(await h.service.runDue(), 2);
    assert.equal(h.store.outbox.get(first)?.state, 'delivered');
    assert.equal(h.store.outbox.get(second)?.state, 'delivered');
  });

  test('an expired message is purged, audited and never sent', async () => {
    const h = createDeliveryHarness();
    h.transport.script(httpResult(503));
    const id = h.enqueue('beta', { ttlMs: 10_000 });
    await h.service.attempt(id);
    h.clock.advance(10_000);
    assert.equal(await h.service.runDue(), 0);
    assert.equal(h.transport.sent.length, 1);
    assert.equal(h.store.outbox.get(id), null);
    assert.equal(h.store.deadLetters.get(id), null);
    assert.deepEqual(h.eventsOf('message.expired'), [{ type: 'message.expired', id, peer: 'beta' }]);
    assert.equal(h.audit.at(-1)?.status, 'expired');
    assert.equal(h.audit.at(-1)?.id, id);

    // attempt() on a message already past its TTL: expired, nothing sent.
    const late = h.enqueue('beta', { ttlMs: 1_000 });
    h.clock.advance(1_000);
    assert.deepEqual(await h.service.attempt(late), { id: late, status: 'expired', attempts: 0, reason: 'expired' });
    assert.equal(h.transport.sent.length, 1);
    assert.equal(h.store.outbox.get(late), null);
  });

  test('a peer missing from the registry dead-letters as unknown_peer', async () => {
    const h = createDeliveryHarness();
    const id = h.enqueue('gamma');
    h.peers.byName.delete('gamma');
    const out = await h.service.attempt(id);
    assert.equal(out.status, 'dead_lettered');
    assert.equal(out.reason, 'unknown_peer');
    assert.equal(h.transport.sent.length, 0);
    assert.equal(h.store.deadLetters.get(id)?.reason, 'unknown_peer');
  });

  test('the worker dead-letters a removed peer\'s messages when due, not after its open circuit\'s cool-down', async () => {
    const h = createDeliveryHarness();
    const id = h.enqueue('gamma');
    for (let i = 0; i < 3; i++) h.service.breaker.recordFailure('gamma', h.clock.now());
    assert.equal(h.service.breaker.state('gamma', h.clock.now()).state, 'open');
    h.peers.byName.delete('gamma');
    assert.ok((h.service.nextWakeAt() ?? Number.POSITIVE_INFINITY) <= h.clock.now());
    await h.service.runDue();
    assert.equal(h.store.deadLetters.get(id)?.reason, 'unknown_peer');
    assert.equal(h.transport.sent.length, 0);
  });

  test('attempt() explains messages it cannot claim; unknown ids are NOT_FOUND', async () => {
    const h = createDeliveryHarness();
    h.transport.setDefault(httpResult(410));
    const dead = h.enqueue('beta');
    await h.service.attempt(dead);
    assert.deepEqual(await h.service.attempt(dead), { id: dead, status: 'dead_lettered', attempts: 1, reason: 'client_error_410' });
    h.transport.setDefault(httpResult(200));
    const done = h.enqueue('beta');
    await h.service.attempt(done);
    assert.deepEqual(await h.service.attempt(done), { id: done, status: 'delivered', attempts: 1 });
    assert.equal(h.transport.sent.length, 2, 'a delivered message is never sent again');
    await assert.rejects(h.service.attempt('msg_nope'), (e) => isMeshError(e) && e.code === 'NOT_FOUND');
  });

  test('a transport that throws is a transient network failure, not a crash', async () => {
    const h = createDeliveryHarness();
    h.transport.send = () => Promise.reject(new Error('boom'));
    const out = await h.service.attempt(h.enqueue('beta'));
    assert.equal(out.status, 'queued');
    assert.equal(out.error, 'transport_error');
  });

  test('secrets never reach audit entries or events', async () => {
    const h = createDeliveryHarness();
    h.transport.script(httpResult(503), httpResult(401));
    const id = h.enqueue('beta', { signed: true });
    await h.service.attempt(id);
    h.clock.advance(5_000);
    await h.service.runDue();
    const text = JSON.stringify([h.audit, h.events]);
    assert.ok(!text.includes(PEER_TOKEN));
    assert.ok(!text.includes('sha256:sig-'), 'signature is not audited');
    assert.ok(!text.includes('body 1'), 'body is not audited');
  });
});

describe('delivery service: leases and concurrency', () => {
  test('a message being attempted by one worker is not attempted by another', async () => {
    const h = createDeliveryHarness();
    const other = h.newService();
    const d = new Deferred();
    h.transport.script(d);
    const id = h.enqueue('beta');

    const first = h.service.attempt(id);
    const second = await other.attempt(id);
    assert.equal(second.status, 'busy');
    assert.equal(second.nextAttemptAt, h.clock.now() + h.service.options.leaseMs);
    assert.equal(await other.runDue(), 0);
    assert.equal(h.transport.sent.length, 1);

    d.resolve(httpResult(202));
    assert.equal((await first).status, 'delivered');
    assert.equal(await other.runDue(), 0);
    assert.equal(h.transport.sent.length, 1);
  });

  test('a crashed worker\'s lease runs out and the message is attempted again', async () => {
    const h = createDeliveryHarness({ leaseMs: 45_000 });
    const id = h.enqueue('beta');
    assert.ok(h.store.outbox.claim(id, h.clock.now(), 45_000), 'a worker claims it, then dies');
    assert.equal(await h.service.runDue(), 0);
    h.clock.advance(45_000);
    assert.equal(await h.service.runDue(), 1);
    assert.equal(h.store.outbox.get(id)?.state, 'delivered');
  });

  test('runDue bounds concurrency overall and per peer', async () => {
    const h = createDeliveryHarness({ maxConcurrent: 3, maxConcurrentPerPeer: 2 });
    const ds = Array.from({ length: 10 }, () => new Deferred());
    h.transport.script(...ds);
    for (let i = 0; i < 5; i++) {
      h.enqueue('beta');
      h.enqueue('gamma');
    }
    const tick = h.service.runDue();
    assert.equal(h.transport.sent.length, 3);
    const perPeer = new Map<string, number>();
    for (const r of h.transport.sent) perPeer.set(r.url, (perPeer.get(r.url) ?? 0) + 1);
    assert.ok(Math.max(...perPeer.values()) <= 2);
    for (const d of ds) d.resolve(httpResult(202));
    assert.equal(await tick, 3);
    // Ticks rotate the starting peer, so both peers drain.
    while ((await h.service.runDue()) > 0);
    assert.equal(h.transport.sent.length, 10);
    assert.equal(h.transport.maxInFlight, 3);
  });

  test('startDue keeps a sliding window: slots held by running attempts are not claimed again until they end', async () => {
    const h = createDeliveryHarness({ maxConcurrent: 8, maxConcurrentPerPeer: 2 });
    const ds = Array.from({ length: 5 }, () => new Deferred());
    h.transport.script(...ds);
    for (let i = 0; i < 5; i++) h.enqueue('beta');
    let ended = 0;
    const onSettled = (): void => {
      ended++;
    };
    const first = h.service.startDue(onSettled);
    assert.equal(first.started, 2);
    await new Promise((r) => setImmediate(r));
    assert.equal(h.transport.sent.length, 2);
    assert.equal(h.service.startDue(onSettled).started, 0, 'the peer\'s two slots are taken');
    ds[0]?.resolve(httpResult(202));
    while (ended < 1) await new Promise((r) => setImmediate(r));
    const second = h.service.startDue(onSettled);
    assert.equal(second.started, 1, 'the ended attempt\'s slot is refilled, the other is still busy');
    for (const d of ds) d.resolve(httpResult(202));
    assert.equal(await first.settled, 2);
    assert.equal(await second.settled, 1);
    while ((await h.service.runDue()) > 0);
    assert.equal(h.transport.sent.length, 5);
    assert.equal(h.transport.maxInFlight, 2);
    assert.equal(h.store.outbox.pendingCounts()['beta'] ?? 0, 0);
  });

  test('the worker sweeps expired messages at most once a second; an expired message is never sent', async () => {
    const h = createDeliveryHarness();
    h.transport.setDefault(httpResult(202));
    assert.equal(await h.service.runDue(), 0, 'first sweep, nothing queued');
    const id = h.enqueue('beta', { ttlMs: 100 });
    await h.service.runDue();
    assert.equal(h.store.outbox.get(id)?.state, 'delivered');
    const late = h.enqueue('beta', { ttlMs: 100 });
    h.store.outbox.release(late, h.clock.now() + 10_000);
    h.clock.advance(200);
    await h.service.runDue();
    assert.equal(h.store.outbox.get(late)?.state, 'pending', 'expired, not due, and the last sweep was 200 ms ago: left for the next sweep');
    h.clock.advance(1_000);
    await h.service.runDue();
    assert.equal(h.store.outbox.get(late), null, 'swept a second after the last sweep');
    assert.deepEqual(h.eventsOf('message.expired'), [{ type: 'message.expired', id: late, peer: 'beta' }]);
    const due = h.enqueue('beta', { ttlMs: 100 });
    h.clock.advance(150);
    assert.equal(await h.service.runDue(), 0, 'due but expired between two sweeps: not claimed, not sent');
    h.clock.advance(1_000);
    assert.equal(await h.service.runDue(), 0);
    assert.equal(h.store.outbox.get(due), null, 'swept at the next sweep');
    assert.equal(h.transport.sent.length, 1);
  });

  test('concurrent submits share one durable commit for their enqueues, and one for their delivered marks', async () => {
    const h = createDeliveryHarness();
    const durability: (boolean | undefined)[] = [];
    let depth = 0;
    const inner = h.store.transaction.bind(h.store);
    h.store.transaction = <T>(fn: () => T, o?: { durable?: boolean }): T => {
      if (depth === 0) durability.push(o?.durable);
      depth++;
      try {
        return inner(fn, o);
      } finally {
        depth--;
      }
    };
    h.transport.setDefault(httpResult(202));
    const now = h.clock.now();
    const messages = ['beta', 'beta', 'gamma'].map((peer, i) => ({
      id: `m-batch-${i}`, peer, type: 'notification', envelope: `{"id":"m-batch-${i}","to":"${peer}"}`, sessionKey: null,
      createdAt: now, expiresAt: now + 60_000, nextAttemptAt: now,
    }));
    const outcomes = await Promise.all(messages.map((m) => h.service.submit(m)));
    assert.deepEqual(outcomes.map((o) => o.status), ['delivered', 'delivered', 'delivered']);
    assert.deepEqual(durability, [true, false], 'one fsynced commit for the three enqueues, one relaxed commit for the three outcomes');
  });
});
