import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encryptCbc } from '../crypto/aes-cbc.ts';
import { encryptGcm } from '../crypto/aes-gcm.ts';
import { generateIdentity, signEnvelopeEd25519 } from '../crypto/ed25519.ts';
import { envelopeAad } from '../crypto/payload-crypto.ts';
import { VECTOR_ENVELOPE_TEXT, VECTOR_KEY, VECTOR_SIGNATURE } from '../crypto/test-envelopes.ts';
import type { Store } from '../ports/store.ts';
import { parseOrdered } from '../protocol/canonical-json.ts';
import { wrapForHook } from '../protocol/hook.ts';
import type { JsonValue } from '../protocol/json.ts';
import { WireCode, wireCodeStatus } from '../protocol/wire-codes.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createInboundPipeline } from './inbound-pipeline.ts';
import {
  envelopeEntries,
  jqText,
  obj,
  peer,
  recorder,
  signText,
  staticKeys,
  staticPeers,
  T0,
  testId,
  testNonce,
  withSignature,
} from './test-fixtures.ts';
import type { InboundOptions, InboundResult } from './types.ts';

const OTHER_KEY = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
const identity = generateIdentity((n) => Buffer.alloc(n, 7));
const stranger = generateIdentity((n) => Buffer.alloc(n, 9));

const PEERS = [
  peer('alpha', 'hmac', { encryption: 'aes-256-cbc' }),
  peer('gamma', 'none'),
  peer('delta', 'ed25519', { publicKey: identity.publicKey }),
  peer('epsilon', 'hmac'), // no key file on this node
  peer('kappa', 'none'), // unsigned allowed, but a key exists
  peer('omega', 'hmac', { encryption: 'aes-256-gcm' }),
  peer('worker-a', 'none'),
];
const KEYS = staticKeys({ alpha: VECTOR_KEY, kappa: OTHER_KEY, omega: VECTOR_KEY }, { alpha: VECTOR_KEY, omega: VECTOR_KEY });

function setup(options: Partial<InboundOptions> = {}, store: Store = createMemoryStore()) {
  const clock = new ManualClock(T0 + 10_000);
  const rec = recorder();
  const pipeline = createInboundPipeline({
    self: 'beta',
    store,
    peers: staticPeers('beta', PEERS),
    keys: KEYS,
    clock,
    events: rec.eventSink,
    audit: rec.auditSink,
    logger: rec.logger,
    options: { handOff: false, ...options },
  });
  const post = (envelopeText: string, pathSender: string | null = 'alpha'): InboundResult =>
    pipeline.handle({ pathSender, bodyText: wrapForHook(envelopeText), wrapped: true });
  const postBody = (bodyText: string, pathSender: string | null = 'alpha'): InboundResult =>
    pipeline.handle({ pathSender, bodyText, wrapped: true });
  return { pipeline, store, clock, rec, post, postBody };
}
type Harness = ReturnType<typeof setup>;

/** A signed alpha → beta envelope, number n. */
const signed = (n: number, over: Record<string, JsonValue | undefined> = {}, key = VECTOR_KEY): string =>
  signText(jqText(envelopeEntries(n, over)), key);
const unsigned = (n: number, over: Record<string, JsonValue | undefined> = {}): string => jqText(envelopeEntries(n, over));

function assertAccepted(h: Harness, r: InboundResult, id: string): void {
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.deepEqual(r.body, { ok: true, id });
  assert.equal(r.envelope?.id, id);
  assert.ok(h.store.inbox.get(id));
}

function assertRefused(h: Harness, r: InboundResult, code: WireCode): void {
  assert.equal(r.body.code, code, JSON.stringify(r.body));
  assert.equal(r.status, wireCodeStatus[code]);
  assert.equal(r.body.ok, false);
  assert.equal(typeof r.body.error, 'string');
  assert.equal(r.envelope, undefined);
  assert.equal(r.plaintextBody, undefined);
  assert.deepEqual(h.store.inbox.list(), [], 'a refused message must never reach the inbox');
  assert.equal(h.rec.audit.at(-1)?.status, `rejected_${code}`);
  assert.deepEqual(h.rec.events.at(-1), {
    type: 'message.rejected',
    from: h.rec.audit.at(-1)?.from ?? null,
    id: h.rec.audit.at(-1)?.id ?? null,
    code,
  });
}

describe('inbound pipeline: acceptance', () => {
  test('the §2.1 bash envelope HMAC-signed with the §14 key is accepted byte-exactly', () => {
    const h = setup();
    const wire = VECTOR_ENVELOPE_TEXT.slice(0, -1) + `,"signature":"${VECTOR_SIGNATURE}"}`;
    const r = h.post(wire);
    assertAccepted(h, r, 'msg_00000000-0000-4000-8000-000000000000');
    assert.equal(r.auth, 'hmac');
    assert.equal(r.plaintextBody, 'Hello');
    const row = h.store.inbox.get('msg_00000000-0000-4000-8000-000000000000');
    assert.equal(row?.envelope, wire);
    assert.equal(row?.body, 'Hello');
    assert.equal(row?.auth, 'hmac');
    assert.equal(row?.deliveryState, 'none');
    assert.equal(row?.from, 'alpha');
    assert.deepEqual(h.rec.events, [
      { type: 'message.received', id: r.envelope?.id, from: 'alpha', messageType: 'notification', correlationId: null },
    ]);
    assert.equal(h.rec.audit.length, 1);
    assert.equal(h.rec.audit[0]?.status, 'received');
    assert.equal(h.rec.audit[0]?.signed, true);
  });

  test('with a delivery adapter, inbox rows wait for hand-off', () => {
    const h = setup({ handOff: true });
    assertAccepted(h, h.post(signed(1)), testId(1));
    assert.equal(h.store.inbox.get(testId(1))?.deliveryState, 'pending');
  });

  test('a signed message whose metadata has integer-like keys verifies (order-preserving parse)', () => {
    const h = setup();
    const metadata = obj([['z', 1], ['2', 'two'], ['10', 'ten'], ['a', obj([['1', true], ['0', false]])]]);
    const text = signed(2, { payload: obj([['subject', 's'], ['body', 'b'], ['attachments', []], ['metadata', metadata]]) });
    assert.match(text, /"metadata":\{"z":1,"2":"two","10":"ten"/);
    assertAccepted(h, h.post(text), testId(2));
  });

  test('a hook body whose message is an object (not a string) is accepted', () => {
    const h = setup();
    const r = h.postBody(`{"message":${signed(3)}}`);
    assertAccepted(h, r, testId(3));
  });

  test('raw envelope text (mesh receive) is accepted without a wrapper', () => {
    const h = setup();
    const r = h.pipeline.handle({ pathSender: null, bodyText: signed(4), wrapped: false });
    assertAccepted(h, r, testId(4));
  });

  test('the hook body sessionKey is passed through', () => {
    const h = setup();
    const r = h.pipeline.handle({ pathSender: null, bodyText: wrapForHook(signed(5), 'agent:main:slack:1'), wrapped: true });
    assertAccepted(h, r, testId(5));
    assert.equal(r.sessionKey, 'slack:1');
  });

  test('hyphenated sender names work', () => {
    const h = setup();
    assertAccepted(h, h.post(unsigned(6, { from: 'worker-a' }), 'worker-a'), testId(6));
  });

  test('a peer on policy none may send unsigned, and a verifiable HMAC is reported as hmac', () => {
    const h = setup();
    const r1 = h.post(unsigned(7, { from: 'kappa' }), 'kappa');
    assertAccepted(h, r1, testId(7));
    assert.equal(r1.auth, 'none');
    const r2 = h.post(signed(8, { from: 'kappa' }, OTHER_KEY), 'kappa');
    assertAccepted(h, r2, testId(8));
    assert.equal(r2.auth, 'hmac');
  });

  test('an Ed25519 peer is verified with its public key', () => {
    const h = setup();
    const text = unsigned(9, { from: 'delta' });
    const sig = signEnvelopeEd25519(parseOrdered(text), identity.privateKey);
    const r = h.post(withSignature(text, sig), 'delta');
    assertAccepted(h, r, testId(9));
    assert.equal(r.auth, 'ed25519');
  });

  test('an unknown sender is accepted unsigned only when acceptUnknownSenders is set', () => {
    const h = setup({ acceptUnknownSenders: true });
    const r = h.post(unsigned(10, { from: 'zeta' }), 'zeta');
    assertAccepted(h, r, testId(10));
    assert.equal(r.auth, 'none');
  });

  test('an AES-256-CBC body (bash) is decrypted; the inbox keeps ciphertext in the envelope', () => {
    const h = setup();
    const cipher = encryptCbc(VECTOR_KEY, 'Top secret');
    const payload = obj([['subject', '[encrypted]'], ['body', cipher], ['attachments', []], ['metadata', obj([])], ['encrypted', true]]);
    const text = signed(11, { payload });
    const r = h.post(text);
    assertAccepted(h, r, testId(11));
    assert.equal(r.plaintextBody, 'Top secret');
    assert.equal(r.envelope?.payload.body, cipher);
    assert.equal(h.store.inbox.get(testId(11))?.body, 'Top secret');
    assert.equal(h.store.inbox.get(testId(11))?.envelope, text);
  });

  test('an AES-256-GCM body bound to its envelope is decrypted', () => {
    const h = setup();
    const cipher = encryptGcm(VECTOR_KEY, 'gcm secret', envelopeAad({ id: testId(12), from: 'omega', to: 'beta' }));
    const payload = obj([['subject', 's'], ['body', cipher], ['attachments', []], ['metadata', obj([])], ['encrypted', true]]);
    const r = h.post(signed(12, { from: 'omega', payload }), 'omega');
    assertAccepted(h, r, testId(12));
    assert.equal(r.plaintextBody, 'gcm secret');
  });

  test('GCM attachments sealed inside the ciphertext are validated and stored decrypted beside the body', () => {
    const h = setup();
    const attachments = [{ type: 'inline', encoding: 'base64', data: 'c2VjcmV0', filename: 'plan.txt', mimeType: 'text/plain', size: 6 }];
    const sealed = (n: number, doc: unknown, clear: JsonValue[] = []): string => {
      const cipher = encryptGcm(VECTOR_KEY, JSON.stringify(doc), envelopeAad({ id: testId(n), from: 'omega', to: 'beta' }, 2), { format: 2 });
      const payload = obj([['subject', 's'], ['body', cipher], ['attachments', clear], ['metadata', obj([])], ['encrypted', true]]);
      return signed(n, { from: 'omega', payload });
    };
    const r = h.post(sealed(13, { body: 'see attached', attachments }), 'omega');
    assertAccepted(h, r, testId(13));
    assert.equal(r.plaintextBody, 'see attached');
    const row = h.store.inbox.get(testId(13));
    assert.equal(row?.body, 'see attached');
    assert.deepEqual(JSON.parse(row?.sealedAttachments ?? 'null'), attachments);
    assert.ok(!(row?.envelope ?? '').includes('plan.txt'), 'the stored wire envelope holds no attachment in clear');

    // Sealed attachments get the same checks as clear ones; clear ones beside sealed ones are refused.
    const h2 = setup();
    assertRefused(h2, h2.post(sealed(14, { body: 'x', attachments: [{ type: 'ftp', url: 'x' }] }), 'omega'), WireCode.MalformedEnvelope);
    const h3 = setup();
    const extra = obj([['type', 'url'], ['url', 'http://127.0.0.1/x']]);
    assertRefused(h3, h3.post(sealed(15, { body: 'x', attachments }, [extra]), 'omega'), WireCode.MalformedEnvelope);
    const h4 = setup();
    assertRefused(h4, h4.post(sealed(16, { body: 'x' }), 'omega'), WireCode.DecryptFailed);
  });
});

describe('inbound pipeline: duplicates', () => {
  test('the same message twice is answered 200 duplicate and stored once', () => {
    const h = setup();
    const text = signed(20);
    assertAccepted(h, h.post(text), testId(20));
    const again = h.post(text);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { ok: true, duplicate: true, id: testId(20) });
    assert.equal(again.envelope, undefined, 'a duplicate is not delivered again');
    assert.equal(h.store.inbox.list().length, 1);
    assert.equal(h.rec.events.filter((e) => e.type === 'message.received').length, 1);
    assert.equal(h.rec.audit.at(-1)?.status, 'duplicate');
  });

  test('a second message with the same idempotencyKey is answered with the first id and stored once', () => {
    const h = setup();
    assertAccepted(h, h.post(signed(21, { idempotencyKey: 'order-42' })), testId(21));
    const second = h.post(signed(22, { idempotencyKey: 'order-42' }));
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, { ok: true, duplicate: true, id: testId(21) });
    assert.equal(h.store.inbox.list().length, 1);
    assert.equal(h.store.inbox.get(testId(22)), null);
  });

  test('the same idempotencyKey from another sender is a different message', () => {
    const h = setup();
    assertAccepted(h, h.post(signed(23, { idempotencyKey: 'k' })), testId(23));
    assertAccepted(h, h.post(unsigned(24, { from: 'gamma', idempotencyKey: 'k' }), 'gamma'), testId(24));
  });
});

describe('inbound pipeline: every refusal', () => {
  test('body that is not JSON → malformed_body', () => {
    const h = setup();
    assertRefused(h, h.postBody('{"message":'), WireCode.MalformedBody);
  });

  test('body without message → malformed_body', () => {
    const h = setup();
    assertRefused(h, h.postBody('{"msg":"x"}'), WireCode.MalformedBody);
    assertRefused(h, h.postBody('[1,2]'), WireCode.MalformedBody);
  });

  test('message that is not JSON → malformed_envelope', () => {
    const h = setup();
    assertRefused(h, h.postBody('{"message":"not json"}'), WireCode.MalformedEnvelope);
    assertRefused(h, h.pipeline.handle({ pathSender: null, bodyText: '{oops', wrapped: false }), WireCode.MalformedEnvelope);
  });

  test('envelope breaking the schema → malformed_envelope with a path', () => {
    const h = setup();
    const r = h.post(signed(30, { type: 'command' }));
    assertRefused(h, r, WireCode.MalformedEnvelope);
    assert.match(r.body.error ?? '', /^type: /);
    assertRefused(h, h.post('[]'), WireCode.MalformedEnvelope);
    assertRefused(h, h.post(signed(31, { evil: obj([['__proto__', obj([['to', 'beta']])]]) })), WireCode.MalformedEnvelope);
  });

  test('unknown protocol → unsupported_protocol', () => {
    const h = setup();
    assertRefused(h, h.post(signed(32, { protocol: 'mesh/2.0' })), WireCode.UnsupportedProtocol);
    assertRefused(h, h.post('{"hello":"world"}'), WireCode.UnsupportedProtocol);
  });

  test('envelope for another agent → wrong_recipient', () => {
    const h = setup();
    assertRefused(h, h.post(signed(33, { to: 'gamma' })), WireCode.WrongRecipient);
  });

  test('sender not in the registry → unknown_sender', () => {
    const h = setup();
    assertRefused(h, h.post(unsigned(34, { from: 'zeta' }), 'zeta'), WireCode.UnknownSender);
  });

  test('URL path naming another sender → unknown_sender', () => {
    const h = setup();
    assertRefused(h, h.post(signed(35), 'gamma'), WireCode.UnknownSender);
    assertRefused(h, h.post(signed(36), '../etc'), WireCode.UnknownSender);
  });

  test('HMAC peer without signature → signature_missing', () => {
    const h = setup();
    assertRefused(h, h.post(unsigned(37)), WireCode.SignatureMissing);
    assertRefused(h, h.post(withSignature(unsigned(38), '')), WireCode.SignatureMissing);
  });

  test('tampered body → signature_invalid', () => {
    const h = setup();
    const tampered = signed(39).replace('"body":"Hello"', '"body":"Hellp"');
    assertRefused(h, h.post(tampered), WireCode.SignatureInvalid);
  });

  test('signed with the wrong key → signature_invalid', () => {
    const h = setup();
    assertRefused(h, h.post(signed(40, {}, OTHER_KEY)), WireCode.SignatureInvalid);
  });

  test('HMAC peer whose key file is missing → signature_invalid and a log line about the key', () => {
    const h = setup();
    assertRefused(h, h.post(signed(41, { from: 'epsilon' }), 'epsilon'), WireCode.SignatureInvalid);
    assert.ok(h.rec.logs.some((l) => l.level === 'warn' && /no signing key/.test(l.msg) && l.fields?.['peer'] === 'epsilon'));
  });

  test('Ed25519 peer: unsigned → signature_missing; HMAC or another key → signature_invalid', () => {
    const h = setup();
    const text = unsigned(42, { from: 'delta' });
    assertRefused(h, h.post(text, 'delta'), WireCode.SignatureMissing);
    assertRefused(h, h.post(signed(43, { from: 'delta' }), 'delta'), WireCode.SignatureInvalid);
    const forged = withSignature(text, signEnvelopeEd25519(parseOrdered(text), stranger.privateKey));
    assertRefused(h, h.post(forged, 'delta'), WireCode.SignatureInvalid);
  });

  test('unsigned-policy peer with a signature that cannot be verified → signature_invalid (no silent downgrade)', () => {
    const h = setup();
    // gamma has no key at all; kappa has one, but the signature is wrong; and a garbled spelling.
    assertRefused(h, h.post(signed(44, { from: 'gamma' }), 'gamma'), WireCode.SignatureInvalid);
    assertRefused(h, h.post(signed(45, { from: 'kappa' }, VECTOR_KEY), 'kappa'), WireCode.SignatureInvalid);
    assertRefused(h, h.post(withSignature(unsigned(46, { from: 'gamma' }), 'rsa:abc'), 'gamma'), WireCode.SignatureInvalid);
  });

  test('older than the replay window → expired (default TTL, or a long TTL without a nonce)', () => {
    const h = setup();
    h.clock.set(T0 + 300_001);
    const r = h.post(signed(47));
    assertRefused(h, r, WireCode.Expired);
    assert.equal(r.body.error, 'timestamp is older than the replay window');
    assertRefused(h, h.post(signed(46, { ttl: 3600, nonce: undefined })), WireCode.Expired);
  });

  test('more than the skew ahead → future_timestamp', () => {
    const h = setup();
    const ahead = new Date(T0 + 10_000 + 60_001).toISOString();
    assertRefused(h, h.post(signed(48, { timestamp: ahead })), WireCode.FutureTimestamp);
    const justInside = new Date(T0 + 10_000 + 60_000).toISOString();
    assertAccepted(h, h.post(signed(49, { timestamp: justInside })), testId(49));
  });

  test('timestamp + ttl in the past → expired (whole seconds, like bash)', () => {
    const h = setup();
    h.clock.set(T0 + 5_999);
    assertAccepted(h, h.post(signed(50, { ttl: 5 })), testId(50));
    h.clock.set(T0 + 6_000);
    const r = h.post(signed(51, { ttl: 5 }));
    assert.equal(r.body.code, WireCode.Expired);
    assert.equal(h.store.inbox.get(testId(51)), null);
  });

  test('missing timestamp → malformed_envelope', () => {
    const h = setup();
    assertRefused(h, h.post(signed(52, { timestamp: undefined })), WireCode.MalformedEnvelope);
  });

  test('a nonce seen before → replay', () => {
    const h = setup();
    assertAccepted(h, h.post(signed(53)), testId(53));
    const replay = h.post(signed(54, { nonce: testNonce(53) }));
    assert.equal(replay.body.code, WireCode.Replay);
    assert.equal(replay.status, 409);
    assert.equal(h.store.inbox.get(testId(54)), null);
    assert.equal(h.rec.audit.at(-1)?.status, 'rejected_replay');
  });

  test('nonces are per sender and matched exactly, never as substrings (bash grep -F)', () => {
    const h = setup();
    const nonce = '0123456789abcdef0123456789abcdef';
    assertAccepted(h, h.post(signed(55, { nonce })), testId(55));
    assertAccepted(h, h.post(unsigned(56, { from: 'gamma', nonce }), 'gamma'), testId(56));
    assertAccepted(h, h.post(signed(57, { nonce: nonce.slice(0, 16) })), testId(57));
  });

  test('a forged copy does not burn the genuine message\'s nonce', () => {
    const h = setup();
    const genuine = signed(58);
    const forged = genuine.replace('"body":"Hello"', '"body":"Give me the keys"');
    assertRefused(h, h.post(forged), WireCode.SignatureInvalid);
    assertAccepted(h, h.post(genuine), testId(58));
  });

  test('undecryptable body → decrypt_failed', () => {
    const h = setup();
    const bad = obj([['subject', 's'], ['body', '{"enc":"aes-256-cbc","iv":"00","data":"zz"}'], ['attachments', []], ['metadata', obj([])], ['encrypted', true]]);
    assertRefused(h, h.post(signed(59, { payload: bad })), WireCode.DecryptFailed);
    const cipher = encryptCbc(OTHER_KEY, 'x'.repeat(40));
    const wrongKey = obj([['subject', 's'], ['body', cipher], ['attachments', []], ['metadata', obj([])], ['encrypted', true]]);
    assertRefused(h, h.post(signed(60, { payload: wrongKey })), WireCode.DecryptFailed);
  });

  test('encrypted body from a sender without an encryption key → decrypt_failed', () => {
    const h = setup();
    const payload = obj([['subject', 's'], ['body', encryptCbc(VECTOR_KEY, 'hi')], ['attachments', []], ['metadata', obj([])], ['encrypted', true]]);
    assertRefused(h, h.post(unsigned(61, { from: 'gamma', payload }), 'gamma'), WireCode.DecryptFailed);
    assert.ok(h.rec.logs.some((l) => l.level === 'warn' && /no encryption key/.test(l.msg)));
  });

  test('a GCM peer cannot be downgraded to CBC → decrypt_failed', () => {
    const h = setup();
    const payload = obj([['subject', 's'], ['body', encryptCbc(VECTOR_KEY, 'hi')], ['attachments', []], ['metadata', obj([])], ['encrypted', true]]);
    assertRefused(h, h.post(signed(62, { from: 'omega', payload }), 'omega'), WireCode.DecryptFailed);
  });

  test('a store failure → 500 internal_error, nothing half-written', () => {
    const store = createMemoryStore();
    const bound = <T extends object>(target: T, override: Partial<Record<PropertyKey, unknown>>): T =>
      new Proxy(target, {
        get(t, p) {
          if (Object.hasOwn(override, p)) return override[p];
          const v: unknown = Reflect.get(t, p);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      });
    const failingInbox = bound(store.inbox, { insert: () => { throw new Error('disk on fire'); } });
    const broken = bound(store, { inbox: failingInbox });
    const h = setup({}, broken);
    const r = h.post(signed(63));
    assert.equal(r.status, 500);
    assert.equal(r.body.code, WireCode.Internal);
    assert.ok(h.rec.logs.some((l) => l.level === 'error'));
    assert.ok(!JSON.stringify(h.rec.logs).includes('disk on fire'));
    assert.deepEqual(store.inbox.list(), []);
    assert.equal(store.nonces.checkAndRecord('alpha', testNonce(63), T0, T0 + 1), true, 'the nonce write was rolled back');
  });
});

describe('inbound pipeline: secrets', () => {
  test('replyTo.token never appears in responses, audit, events or logs', () => {
    const h = setup();
    const replyTo = obj([['url', 'http://10.0.0.1:18789/hooks/beta'], ['token', 'tok-SECRET-123']]);
    const results = [
      h.post(signed(70, { type: 'request', replyTo })),
      h.post(signed(71, { type: 'request', replyTo, to: 'gamma' })),
      h.post(signed(72, { type: 'request', replyTo }, OTHER_KEY)),
      h.post(unsigned(73, { type: 'request', replyTo: obj([['url', 'ftp://x'], ['token', 'tok-SECRET-123']]) })),
    ];
    assert.equal(results[0]?.status, 202);
    const everything = JSON.stringify([results.map((r) => r.body), h.rec.audit, h.rec.events, h.rec.logs]);
    assert.ok(!everything.includes('tok-SECRET-123'));
  });
});
