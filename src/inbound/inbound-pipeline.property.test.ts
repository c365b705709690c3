/**
 * Properties:
 *  - a random mutation of a valid signed wire message is never accepted as a DIFFERENT message. It
 *    is refused, or (whitespace, `1.0` for `1`, an equivalent escape…) it is accepted with exactly
 *    the content that was signed;
 *  - one signed message posted again and again, at any times, with housekeeping pruning nonces and
 *    inbox rows in between, is accepted exactly when the acceptance rule says and at most once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { VECTOR_KEY } from '../crypto/test-envelopes.ts';
import { parseOrdered } from '../protocol/canonical-json.ts';
import { parseEnvelope } from '../protocol/envelope-schema.ts';
import { wrapForHook } from '../protocol/hook.ts';
import { toPlain, type JsonValue } from '../protocol/json.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createInboundPipeline } from './inbound-pipeline.ts';
import { envelopeEntries, jqText, obj, peer, recorder, signText, staticKeys, staticPeers, T0, testId } from './test-fixtures.ts';

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
        assert.equal(r.status, 202);
        assert.deepEqual(r.envelope, expected);
      } else {
        assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
      }
    }),
    { numRuns: 400 },
  );
});

test('a harmless change to the hook body (whitespace around the wrapper) is accepted with identical content', () => {
  // The property above may draw no harmless mutation in a run; this case always exercises the
  // accepting branch, so the property cannot pass merely by refusing everything.
  fc.assert(
    fc.property(signedMessage, (wire) => {
      const expected = parseEnvelope(toPlain(parseOrdered(wire)));
      const spaced = wrapForHook(wire).replace(/^\{"message":/, '{ "message" : ').replace(/\}$/, ' }');
      assert.notEqual(spaced, wrapForHook(wire), 'the body was changed');
      const r = freshPipeline().handle({ pathSender: 'alpha', bodyText: spaced, wrapped: true });
      assert.equal(r.status, 202);
      assert.deepEqual(r.envelope, expected);
    }),
    { numRuns: 50 },
  );
});

const MIN = 60_000;
const DAY = 86_400_000;

test('a message is accepted only inside its acceptance period, and at most once, whatever the timing and housekeeping', () => {
  const scenario = fc.record({
    stampMs: fc.integer({ min: 0, max: 999 }),
    ttl: fc.oneof(fc.constantFrom(0, 1, 299, 300, 301, 3600, 7200, 86_400, 31_536_000), fc.integer({ min: 0, max: 200_000 })),
    hasNonce: fc.boolean(),
    replayWindowMs: fc.oneof(fc.constant(300_000), fc.integer({ min: 1000, max: 60 * MIN })),
    futureSkewMs: fc.integer({ min: 0, max: 2 * MIN }),
    maxMessageAgeMs: fc.oneof(fc.constant(DAY), fc.integer({ min: 1000, max: 2 * DAY })),
    firstMs: fc.integer({ min: -3 * MIN, max: 26 * 3600_000 }),
    steps: fc.array(
      fc.record({
        afterMs: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 6 * 3600_000 })),
        // Or jump to the last instant the rule accepts the message, give or take a millisecond.
        toEdge: fc.option(fc.integer({ min: -1, max: 1 }), { nil: null, freq: 3 }),
        // Inbox retention for housekeeping before this attempt: a nonce-less message relies on the
        // row, and retention.inboxDays is at least a day; with a nonce, the row may go at once.
        retention: fc.constantFrom<'none' | 'day' | 'month'>('none', 'day', 'month'),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  });
  let accepted = 0;
  let duplicates = 0;
  let replays = 0;
  fc.assert(
    fc.property(scenario, (sc) => {
      const ts = T0 + sc.stampMs;
      const over: Record<string, JsonValue | undefined> = { timestamp: new Date(ts).toISOString(), ttl: sc.ttl };
      if (!sc.hasNonce) over['nonce'] = undefined;
      const wire = signText(jqText(envelopeEntries(7, over)), VECTOR_KEY);
      const rec = recorder();
      const store = createMemoryStore();
      const clock = new ManualClock(ts + sc.firstMs);
      const { replayWindowMs, futureSkewMs, maxMessageAgeMs } = sc;
      const pipeline = createInboundPipeline({
        self: 'beta',
        store,
        peers: staticPeers('beta', [peer('alpha', 'hmac')]),
        keys: staticKeys({ alpha: VECTOR_KEY }),
        clock,
        events: rec.eventSink,
        audit: rec.auditSink,
        logger: rec.logger,
        options: { handOff: false, replayWindowMs, futureSkewMs, maxMessageAgeMs },
      });
      // The rule as stated, independently of freshness.ts's deadline arithmetic.
      const fresh = (t: number): boolean =>
        ts - t <= futureSkewMs &&
        t - ts <= maxMessageAgeMs &&
        Math.floor(ts / 1000) + sc.ttl >= Math.floor(t / 1000) &&
        (t - ts <= replayWindowMs || (sc.hasNonce && sc.ttl * 1000 > replayWindowMs));

      // fresh() holds from ts - skew on and, once false, stays false: bisect for its last instant.
      let lastFresh = ts - futureSkewMs;
      for (let hi = ts + 3 * DAY; hi - lastFresh > 1; ) {
        const mid = Math.floor((lastFresh + hi) / 2);
        if (fresh(mid)) lastFresh = mid;
        else hi = mid;
      }

      let stored = false;
      sc.steps.forEach((step, i) => {
        if (step.toEdge !== null) clock.set(Math.max(clock.now(), lastFresh + step.toEdge));
        else if (i > 0) clock.advance(step.afterMs);
        const now = clock.now();
        const retentionMs = step.retention === 'month' ? 30 * DAY : step.retention === 'day' || !sc.hasNonce ? DAY : 0;
        store.nonces.prune(now);
        store.inbox.prune(now - retentionMs + 1);
        const inInbox = store.inbox.get(testId(7)) !== null;

        const r = pipeline.handle({ pathSender: 'alpha', bodyText: wrapForHook(wire), wrapped: true });
        const at = `attempt ${i} at ts${now - ts >= 0 ? '+' : ''}${now - ts} ms: ${JSON.stringify(r.body)}`;
        if (!stored) {
          assert.equal(r.status, fresh(now) ? 202 : ts - now > futureSkewMs ? 400 : 410, at);
          if (r.status === 202) {
            stored = true;
            accepted++;
          }
        } else if (inInbox) {
          assert.deepEqual([r.status, r.body.duplicate], [200, true], at);
          duplicates++;
        } else {
          assert.equal(r.status, fresh(now) ? 409 : 410, at);
          if (r.status === 409) replays++;
        }
      });
      assert.ok(rec.events.filter((e) => e.type === 'message.received').length <= 1);
      assert.equal(rec.events.some((e) => e.type === 'message.rejected' && e.code === WireCode.Internal), false);
    }),
    { numRuns: 500 },
  );
  // Each branch must have been exercised for the property to mean anything.
  assert.ok(accepted > 0 && duplicates > 0 && replays > 0, `accepted ${accepted}, duplicates ${duplicates}, replays ${replays}`);
});
