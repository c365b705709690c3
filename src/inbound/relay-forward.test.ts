import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateIdentity, signEnvelopeEd25519 } from '../crypto/ed25519.ts';
import { VECTOR_KEY } from '../crypto/test-envelopes.ts';
import { parseOrdered } from '../protocol/canonical-json.ts';
import { wrapForHook } from '../protocol/hook.ts';
import type { JsonValue } from '../protocol/json.ts';
import { appendRelayMarker } from '../protocol/relay-marker.ts';
import type { RateDecision, RateLimit } from '../ports/rate-limit.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createInboundPipeline } from './inbound-pipeline.ts';
import { envelopeEntries, jqText, peer, recorder, signText, staticKeys, staticPeers, T0, testId, withSignature } from './test-fixtures.ts';
import type { InboundOptions, InboundResult } from './types.ts';

/** A fixed number of messages per sender, no refill (time does not matter here). */
function createTokenBucket(perSender: number): RateLimit {
  const used = new Map<string, number>();
  return {
    take(key: string): RateDecision {
      const n = used.get(key) ?? 0;
      if (n >= perSender) return { ok: false, retryAfterMs: 1_000 };
      used.set(key, n + 1);
      return { ok: true };
    },
  };
}

const eddy = generateIdentity((n) => Buffer.alloc(n, 3));
const mallory = generateIdentity((n) => Buffer.alloc(n, 5));

/** gamma is the relay; alpha (HMAC with delta) and eddy (Ed25519) send to delta through it. */
const PEERS = [
  peer('alpha', 'hmac'), peer('delta', 'hmac'), peer('eddy', 'ed25519', { publicKey: eddy.publicKey }),
  peer('gamma', 'none'),
];

function setup(options: Partial<InboundOptions> = { relayForwarding: true }, self = 'gamma', rateBurst = 1000) {
  const clock = new ManualClock(T0 + 10_000);
  const rec = recorder();
  const store = createMemoryStore();
  const pipeline = createInboundPipeline({
    self, store, peers: staticPeers(self, PEERS), keys: staticKeys({ alpha: 'key-gamma-shares-with-alpha' }),
    clock, events: rec.eventSink, audit: rec.auditSink, logger: rec.logger, options: { handOff: false, ...options },
    senderRateLimit: createTokenBucket(rateBurst),
  });
  const post = (text: string, pathSender: string | null = 'alpha'): InboundResult => pipeline.handle({ pathSender, bodyText: wrapForHook(text), wrapped: true });
  return { store, rec, post, clock };
}

/** An alpha → delta envelope signed with the key alpha shares with DELTA (the relay does not have it). */
const toDelta = (n: number, over: Record<string, JsonValue | undefined> = {}): string =>
  signText(jqText(envelopeEntries(n, { to: 'delta', ...over })), VECTOR_KEY);
const relayed = (text: string, from = 'alpha', via = 'gamma', originalTo = 'delta'): string => appendRelayMarker(text, { from, via, originalTo });

function refusedWith(r: InboundResult, code: WireCode): void {
  assert.equal(r.body.code, code, JSON.stringify(r.body));
}

describe('relay: forwarding', () => {
  test('a relayed envelope from a registry peer to a registry peer is queued for the recipient, byte for byte, and audited', () => {
    const h = setup();
    const text = relayed(toDelta(1));
    const r = h.post(text);
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { ok: true, id: testId(1), relayed: true });
    assert.equal(r.forwarded, true);
    const row = h.store.outbox.get(testId(1));
    assert.equal(row?.peer, 'delta');
    assert.equal(row?.envelope, text, 'the same bytes, marker included');
    assert.equal(row?.sessionKey, null);
    assert.equal(h.store.inbox.get(testId(1)), null, 'not for this node\'s agent');
    assert.deepEqual(h.rec.audit.map((a) => [a.status, a.from, a.to, a.detail]), [['relay_forwarded', 'alpha', 'delta', 'to delta; signature unchecked']]);
    assert.deepEqual(h.rec.events.map((e) => e.type), ['relay.forwarded', 'message.queued']);
  });

  test('a retry is acknowledged as a duplicate and not forwarded twice', () => {
    const h = setup();
    const text = relayed(toDelta(1));
    h.post(text);
    const again = h.post(text);
    assert.deepEqual([again.status, again.body], [200, { ok: true, duplicate: true, id: testId(1) }]);
    assert.equal(h.store.outbox.listPending('delta').length, 1);
  });

  test('an encrypted body is forwarded as ciphertext: the relay never decrypts it', () => {
    const h = setup();
    const cipher = '{"enc":"aes-256-gcm","iv":"000102030405060708090a0b","salt":"00","data":"c2VjcmV0","tag":"00"}';
    const text = relayed(toDelta(2, { payload: new Map<string, JsonValue>([['subject', '[encrypted]'], ['body', cipher], ['attachments', []], ['metadata', new Map()], ['encrypted', true]]) }));
    assert.equal(h.post(text).status, 202);
    assert.equal(h.store.outbox.get(testId(2))?.envelope, text);
  });

  test('Ed25519: the relay checks the signature with the sender\'s public key and refuses a forgery', () => {
    const h = setup();
    const env = parseOrdered(jqText(envelopeEntries(3, { from: 'eddy', to: 'delta' })));
    const good = withSignature(jqText(envelopeEntries(3, { from: 'eddy', to: 'delta' })), signEnvelopeEd25519(env, eddy.privateKey));
    const r = h.post(relayed(good, 'eddy'), 'eddy');
    assert.equal(r.status, 202);
    assert.match(h.rec.audit.at(-1)?.detail ?? '', /signature ed25519/);
    const forged = withSignature(jqText(envelopeEntries(4, { from: 'eddy', to: 'delta' })), signEnvelopeEd25519(parseOrdered(jqText(envelopeEntries(4, { from: 'eddy', to: 'delta' }))), mallory.privateKey));
    refusedWith(h.post(relayed(forged, 'eddy'), 'eddy'), WireCode.SignatureInvalid);
    assert.equal(h.store.outbox.get(testId(4)), null);
  });

  test('refusals: forwarding off, marker not for us or not matching, path, strangers, stale', () => {
    refusedWith(setup({ relayForwarding: false }).post(relayed(toDelta(1))), WireCode.RelayRefused);
    const h = setup();
    refusedWith(h.post(toDelta(1)), WireCode.WrongRecipient);
    refusedWith(h.post(relayed(toDelta(1), 'alpha', 'beta')), WireCode.WrongRecipient);
    refusedWith(h.post(relayed(toDelta(1), 'eddy')), WireCode.RelayRefused);
    refusedWith(h.post(relayed(toDelta(1), 'alpha', 'gamma', 'eddy')), WireCode.RelayRefused);
    refusedWith(h.post(relayed(toDelta(1)), 'eddy'), WireCode.UnknownSender);
    refusedWith(h.post(relayed(toDelta(1)), null), WireCode.UnknownSender);
    refusedWith(h.post(relayed(toDelta(5, { to: 'stranger' }), 'alpha', 'gamma', 'stranger')), WireCode.RelayRefused);
    refusedWith(h.post(relayed(toDelta(6, { from: 'stranger' }), 'stranger'), 'stranger'), WireCode.UnknownSender);
    refusedWith(h.post(relayed(toDelta(7, { timestamp: new Date(T0 - 3_600_000).toISOString() }))), WireCode.Expired);
    assert.equal(h.store.outbox.listPending().length, 0);
    assert.ok(h.rec.audit.every((a) => a.status.startsWith('rejected_')));
  });

  test('forwarding spends the sender\'s rate budget like any message', () => {
    const h = setup({ relayForwarding: true }, 'gamma', 2);
    assert.equal(h.post(relayed(toDelta(1))).status, 202);
    assert.equal(h.post(relayed(toDelta(2))).status, 202);
    const r = h.post(relayed(toDelta(3)));
    refusedWith(r, WireCode.RateLimited);
    assert.equal(h.store.outbox.get(testId(3)), null);
  });
});

describe('relay: the final recipient', () => {
  test('a relayed envelope (bash: marker after the signature) verifies against what its sender signed; the audit says via', () => {
    const h = setup({}, 'delta');
    h.clock.set(T0 + 10_000);
    const pipeline = createInboundPipeline({
      self: 'delta', store: h.store, peers: staticPeers('delta', PEERS), keys: staticKeys({ alpha: VECTOR_KEY }), clock: h.clock,
      events: h.rec.eventSink, audit: h.rec.auditSink, logger: h.rec.logger, options: { handOff: false },
    });
    const text = relayed(toDelta(8));
    const r = pipeline.handle({ pathSender: 'alpha', bodyText: wrapForHook(text), wrapped: true });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.auth, 'hmac');
    assert.equal(h.rec.audit.at(-1)?.detail, 'auth=hmac; via gamma');
    // One changed byte of the body, marker untouched: refused.
    const tampered = relayed(toDelta(9)).replace('"body":"Hello"', '"body":"Hellp"');
    const t = pipeline.handle({ pathSender: 'alpha', bodyText: wrapForHook(tampered), wrapped: true });
    assert.deepEqual([t.status, t.body.code], [403, WireCode.SignatureInvalid]);
    assert.equal(h.rec.audit.at(-1)?.status, 'rejected_signature_invalid');
  });
});
