/**
 * Messages queued longer than the replay window: a long TTL is honoured up to the maximum age,
 * replays stay refused for the whole acceptance period, and a late retry of a message we already
 * stored is acknowledged as a duplicate, but only once the sender is authenticated.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VECTOR_KEY } from '../crypto/test-envelopes.ts';
import { wrapForHook } from '../protocol/hook.ts';
import type { JsonValue } from '../protocol/json.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createInboundPipeline } from './inbound-pipeline.ts';
import { envelopeEntries, jqText, peer, recorder, signText, staticKeys, staticPeers, T0, testId, withSignature } from './test-fixtures.ts';
import type { InboundOptions, InboundResult } from './types.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const OTHER_KEY = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';

function setup(options: Partial<InboundOptions> = {}) {
  const clock = new ManualClock(T0);
  const rec = recorder();
  const store = createMemoryStore();
  const pipeline = createInboundPipeline({
    self: 'beta',
    store,
    peers: staticPeers('beta', [peer('alpha', 'hmac'), peer('gamma', 'none')]),
    keys: staticKeys({ alpha: VECTOR_KEY }),
    clock,
    events: rec.eventSink,
    audit: rec.auditSink,
    logger: rec.logger,
    options: { handOff: false, ...options },
  });
  const post = (text: string, sender = 'alpha'): InboundResult =>
    pipeline.handle({ pathSender: sender, bodyText: wrapForHook(text), wrapped: true });
  /** What the daemon's housekeeping does, with the inbox retention given (0 = drop every row). */
  const housekeeping = (inboxRetentionMs: number): void => {
    const now = clock.now();
    store.nonces.prune(now);
    store.inbox.prune(now - inboxRetentionMs + 1);
  };
  const deliveries = (): number => rec.events.filter((e) => e.type === 'message.received').length;
  return { pipeline, store, clock, rec, post, housekeeping, deliveries };
}

const signed = (n: number, over: Record<string, JsonValue | undefined> = {}, key = VECTOR_KEY): string =>
  signText(jqText(envelopeEntries(n, over)), key);

function assertStatus(r: InboundResult, status: number, code?: WireCode): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  if (code !== undefined) assert.equal(r.body.code, code);
}

function assertDuplicateAck(r: InboundResult, id: string): void {
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, { ok: true, duplicate: true, id });
  assert.equal(r.envelope, undefined, 'a duplicate is not handed to the agent again');
}

describe('inbound: long TTLs', () => {
  test('a 2 h TTL message queued for an hour is accepted', () => {
    const h = setup();
    h.clock.set(T0 + HOUR);
    const r = h.post(signed(1, { ttl: 7200 }));
    assertStatus(r, 202);
    assert.equal(r.envelope?.id, testId(1));
  });

  test('it is refused once its TTL has run out', () => {
    const h = setup();
    h.clock.set(T0 + 2 * HOUR + 1_000);
    const r = h.post(signed(2, { ttl: 7200 }));
    assertStatus(r, 410, WireCode.Expired);
    assert.equal(r.body.error, 'ttl has elapsed');
    assert.equal(h.store.inbox.get(testId(2)), null);
  });

  test('a huge TTL is capped by maxMessageAgeMs (default 24 h, or as configured)', () => {
    const h = setup();
    h.clock.set(T0 + 24 * HOUR);
    assertStatus(h.post(signed(3, { ttl: 31_536_000 })), 202);
    h.clock.set(T0 + 24 * HOUR + 1);
    const r = h.post(signed(4, { ttl: 31_536_000 }));
    assertStatus(r, 410, WireCode.Expired);
    assert.equal(r.body.error, 'timestamp is older than the maximum message age');

    const tight = setup({ maxMessageAgeMs: 2 * HOUR });
    tight.clock.set(T0 + 2 * HOUR + 1);
    assertStatus(tight.post(signed(5, { ttl: 86_400 })), 410, WireCode.Expired);
  });

  test('the default 300 s TTL is still held to the 5-minute window', () => {
    const h = setup();
    h.clock.set(T0 + 5 * MIN);
    assertStatus(h.post(signed(6)), 202);
    h.clock.set(T0 + 5 * MIN + 1);
    const r = h.post(signed(7));
    assertStatus(r, 410, WireCode.Expired);
    assert.equal(r.body.error, 'timestamp is older than the replay window');
  });

  test('a long TTL without a nonce gets no more than the window', () => {
    const h = setup();
    h.clock.set(T0 + 5 * MIN + 1);
    assertStatus(h.post(signed(8, { ttl: 7200, nonce: undefined })), 410, WireCode.Expired);
  });
});

describe('inbound: replays over the whole acceptance period', () => {
  test('a long-TTL message replayed 2 h later is never delivered twice, even with the inbox pruned', () => {
    const h = setup();
    const wire = signed(10, { ttl: 3 * 3600 });
    h.clock.set(T0 + MIN);
    assertStatus(h.post(wire), 202);

    h.clock.set(T0 + 2 * HOUR);
    h.housekeeping(30 * 24 * HOUR);
    assertDuplicateAck(h.post(wire), testId(10));

    // Even if the row were gone (short retention), the nonce outlives the message's acceptance.
    h.housekeeping(0);
    assert.equal(h.store.inbox.get(testId(10)), null);
    assertStatus(h.post(wire), 409, WireCode.Replay);

    h.clock.set(T0 + 3 * HOUR + 999);
    h.housekeeping(0);
    assertStatus(h.post(wire), 409, WireCode.Replay);

    // Past its TTL: freshness refuses it, whatever housekeeping has dropped meanwhile.
    h.clock.set(T0 + 3 * HOUR + 1_000);
    h.housekeeping(0);
    assertStatus(h.post(wire), 410, WireCode.Expired);
    assert.equal(h.deliveries(), 1);
  });

  test('the nonce is kept at least as long as before: 2 × window for default-TTL messages', () => {
    const h = setup();
    const wire = signed(11);
    h.clock.set(T0 + 4 * MIN);
    assertStatus(h.post(wire), 202);
    h.clock.set(T0 + 5 * MIN);
    h.housekeeping(0);
    assertStatus(h.post(wire), 409, WireCode.Replay);
    assert.equal(h.deliveries(), 1);
  });
});

describe('inbound: late retries of stored messages', () => {
  test('a retry after the acceptance period is acknowledged as a duplicate, not refused', () => {
    const h = setup();
    const wire = signed(20);
    h.clock.set(T0 + 10_000);
    assertStatus(h.post(wire), 202);
    h.clock.set(T0 + HOUR);
    assertDuplicateAck(h.post(wire), testId(20));
    assert.equal(h.rec.audit.at(-1)?.status, 'duplicate');
    assert.equal(h.rec.audit.at(-1)?.detail, 'same id, past its acceptance period');
    assert.equal(h.deliveries(), 1);
  });

  test('past the maximum age too', () => {
    const h = setup({ maxMessageAgeMs: 2 * HOUR });
    const wire = signed(21, { ttl: 86_400 });
    h.clock.set(T0 + HOUR);
    assertStatus(h.post(wire), 202);
    h.clock.set(T0 + 3 * HOUR);
    assertDuplicateAck(h.post(wire), testId(21));
  });

  test('an unauthenticated old message with a known id is refused, never told it is a duplicate', () => {
    const h = setup();
    h.clock.set(T0 + 10_000);
    assertStatus(h.post(signed(22)), 202);
    h.clock.set(T0 + HOUR);

    const unsigned = jqText(envelopeEntries(22));
    assertStatus(h.post(unsigned), 403, WireCode.SignatureMissing);
    assertStatus(h.post(signed(22, {}, OTHER_KEY)), 403, WireCode.SignatureInvalid);
    assertStatus(h.post(withSignature(unsigned, 'sha256:AAAA')), 403, WireCode.SignatureInvalid);
    const tampered = signed(22).replace('"body":"Hello"', '"body":"Hellp"');
    assertStatus(h.post(tampered), 403, WireCode.SignatureInvalid);
    // The same id claimed by another sender is that sender's expired message, not alpha's duplicate.
    assertStatus(h.post(jqText(envelopeEntries(22, { from: 'gamma' })), 'gamma'), 410, WireCode.Expired);

    assert.ok(h.rec.audit.slice(1).every((a) => a.status.startsWith('rejected_')), 'no duplicate was recorded');
    assert.equal(h.deliveries(), 1);
  });

  test('an old message with an unknown id is still expired', () => {
    const h = setup();
    h.clock.set(T0 + HOUR);
    assertStatus(h.post(signed(23)), 410, WireCode.Expired);
  });

  test('a message stamped too far ahead is refused even if its id is known', () => {
    const h = setup();
    const ahead = new Date(T0 + 2 * MIN).toISOString();
    h.clock.set(T0 + MIN);
    assertStatus(h.post(signed(24, { timestamp: ahead })), 202);
    h.clock.set(T0);
    assertStatus(h.post(signed(24, { timestamp: ahead })), 400, WireCode.FutureTimestamp);
  });
});
