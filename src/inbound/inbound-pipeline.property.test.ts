/**
 * Property: a random mutation of a valid signed wire message is never accepted as a DIFFERENT
 * message. It is refused, or (whitespace, `1.0` for `1`, an equivalent escape…) it is accepted with
 * exactly the content that was signed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { VECTOR_KEY } from '../crypto/test-envelopes.ts';
import { parseOrdered } from '../protocol/canonical-json.ts';
import { parseEnvelope } from '../protocol/envelope-schema.ts';
import { wrapForHook } from '../protocol/hook.ts';
import { toPlain, type JsonValue } from '../protocol/json.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createInboundPipeline } from './inbound-pipeline.ts';
import { envelopeEntries, jqText, obj, peer, recorder, signText, staticKeys, staticPeers, T0 } from './test-fixtures.ts';

function freshPipeline() {
  const rec = recorder();
  return createInboundPipeline({
    self: 'beta',
    store: createMemoryStore(),
    peers: staticPeers('beta', [peer('alpha', 'hmac'), peer('gamma', 'none')]),
    keys: staticKeys({ alpha: VECTOR_KEY }),
    clock: new ManualClock(T0 + 1_000),
    events: rec.eventSink,
    audit: rec.auditSink,
    logger: rec.logger,
    options: { handOff: false },
  });
}

const anyChar = fc.string({ minLength: 1, maxLength: 1, unit: 'binary' });
const text = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\u007f', 'é', '🚀'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 40 });
const metadataEntry = fc.tuple(
  fc.oneof(fc.constantFrom('2', '10', '0', 'a', 'z'), fc.string({ minLength: 1, maxLength: 6 })).filter((k) => k !== '__proto__'),
  fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), text, fc.boolean(), fc.constant(null)),
);

const signedMessage = fc
  .record({
    n: fc.nat({ max: 0xffffff }),
    subject: text,
    body: text,
    ttl: fc.integer({ min: 60, max: 86_400 }),
    metadata: fc.uniqueArray(metadataEntry, { maxLength: 5, selector: ([k]) => k }),
    correlationId: fc.option(fc.constant('msg_00000000-0000-4000-8000-0000000000aa'), { nil: null }),
  })
  .map(({ n, subject, body, ttl, metadata, correlationId }) =>
    signText(
      jqText(
        envelopeEntries(n, {
          ttl,
          correlationId,
          payload: obj([['subject', subject], ['body', body], ['attachments', []], ['metadata', obj(metadata as [string, JsonValue][])]]),
        }),
      ),
      VECTOR_KEY,
    ),
  );

type Mutation =
  | { kind: 'replace'; at: number; ch: string }
  | { kind: 'insert'; at: number; ch: string }
  | { kind: 'delete'; at: number }
  | { kind: 'swap'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.oneof(anyChar, fc.constantFrom(' ', '"', '0', '1', '{', ',', '\\')) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: fc.oneof(anyChar, fc.constantFrom(' ', '"', '0', '.', ',', '\\')) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
);

function mutate(s: string, m: Mutation): string {
  const at = m.at % (s.length + 1);
  switch (m.kind) {
    case 'replace':
      return at >= s.length ? s : s.slice(0, at) + m.ch + s.slice(at + 1);
    case 'insert':
      return s.slice(0, at) + m.ch + s.slice(at);
    case 'delete':
      return s.slice(0, at) + s.slice(at + 1);
    case 'swap':
      return at + 1 >= s.length ? s : s.slice(0, at) + s[at + 1] + s[at] + s.slice(at + 2);
  }
}

test('a mutated signed message is refused or accepted with identical content', () => {
  let accepted = 0;
  fc.assert(
    fc.property(signedMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (wire, mutations, inBody) => {
      const expected = parseEnvelope(toPlain(parseOrdered(wire)));
      assert.equal(freshPipeline().handle({ pathSender: 'alpha', bodyText: wrapForHook(wire), wrapped: true }).status, 202);

      // Mutate either the envelope text (then wrap it) or the whole hook body.
      const bodyText = inBody
        ? mutations.reduce(mutate, wrapForHook(wire))
        : wrapForHook(mutations.reduce(mutate, wire));
      const r = freshPipeline().handle({ pathSender: 'alpha', bodyText, wrapped: true });
      if (r.body.ok) {
        accepted++;
        assert.equal(r.status, 202);
        assert.deepEqual(r.envelope, expected);
      } else {
        assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
      }
    }),
    { numRuns: 400 },
  );
  // Some mutations are harmless (whitespace, a changed sessionKey…): make sure they were exercised.
  assert.ok(accepted > 0);
});
