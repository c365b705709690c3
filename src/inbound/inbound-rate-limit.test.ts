/**
 * The per-sender rate limit inside the pipeline: charged once per new message of an authenticated
 * sender, whatever the URL path; never by junk, forgeries, stale messages, replays or duplicates
 * that name the sender; a refused message is not stored and keeps its nonce unspent.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VECTOR_KEY } from '../crypto/test-envelopes.ts';
import type { RateDecision, RateLimit } from '../ports/rate-limit.ts';
import { wrapForHook } from '../protocol/hook.ts';
import type { JsonValue } from '../protocol/json.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createInboundPipeline, UNREGISTERED_SENDERS_RATE_KEY } from './inbound-pipeline.ts';
import { envelopeEntries, jqText, peer, recorder, signText, staticKeys, staticPeers, T0, testId } from './test-fixtures.ts';
import type { InboundOptions, InboundResult } from './types.ts';

const WRONG_KEY = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
const RETRY_AFTER_MS = 1_500;

/** A budget of `perKey` messages per key that can be topped up by hand; records every charge. */
class Budget implements RateLimit {
  readonly charged: string[] = [];
  readonly #spent = new Map<string, number>();
  readonly #perKey: number;
  constructor(perKey: number) {
    this.#perKey = perKey;
  }
  take(key: string): RateDecision {
    const n = this.#spent.get(key) ?? 0;
    if (n >= this.#perKey) return { ok: false, retryAfterMs: RETRY_AFTER_MS };
    this.#spent.set(key, n + 1);
    this.charged.push(key);
    return { ok: true };
  }
  refill(): void {
    this.#spent.clear();
  }
}

function setup(perKey: number, options: Partial<InboundOptions> = {}) {
  const clock = new ManualClock(T0 + 10_000);
  const rec = recorder();
  const store = createMemoryStore();
  const budget = new Budget(perKey);
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
    senderRateLimit: budget,
  });
  const post = (text: string, pathSender: string | null): InboundResult =>
    pipeline.handle({ pathSender, bodyText: wrapForHook(text), wrapped: true });
  return { pipeline, store, clock, rec, budget, post };
}

const signed = (n: number, over: Record<string, JsonValue | undefined> = {}, key = VECTOR_KEY): string =>
  signText(jqText(envelopeEntries(n, over)), key);
const fromGamma = (n: number, over: Record<string, JsonValue | undefined> = {}): string =>
  jqText(envelopeEntries(n, { from: 'gamma', ...over }));

describe('inbound pipeline: per-sender rate limit', () => {
  test('only a new, authenticated message spends its sender\'s budget', () => {
    const h = setup(100);
    const refusals: [string, InboundResult][] = [
      ['not JSON', h.pipeline.handle({ pathSender: 'alpha', bodyText: 'junk', wrapped: true })],
      ['empty hook body', h.pipeline.handle({ pathSender: 'alpha', bodyText: '{}', wrapped: true })],
      ['forged signature', h.post(signed(1, {}, WRONG_KEY), 'alpha')],
      ['missing signature', h.post(jqText(envelopeEntries(2)), 'alpha')],
      ['path names another sender', h.post(signed(3), 'gamma')],
      ['stale', h.post(signed(4, { timestamp: new Date(T0 - 3_600_000).toISOString() }), 'alpha')],
      ['future', h.post(signed(5, { timestamp: new Date(T0 + 3_600_000).toISOString() }), 'alpha')],
      ['wrong recipient', h.post(signed(6, { to: 'zeta' }), 'alpha')],
    ];
    for (const [what, r] of refusals) assert.ok(r.status >= 400, `${what}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(h.budget.charged, [], 'refused requests naming alpha cost alpha nothing');

    assert.equal(h.post(signed(7), 'alpha').status, 202);
    assert.deepEqual(h.budget.charged, ['alpha']);
    // A duplicate (same id) and a replay (same nonce, new id) of an accepted message cost nothing either.
    assert.equal(h.post(signed(7), 'alpha').status, 200);
    const replay = h.post(signed(8, { nonce: envelopeEntries(7).find(([k]) => k === 'nonce')?.[1] ?? null }), 'alpha');
    assert.equal(replay.body.code, WireCode.Replay);
    assert.deepEqual(h.budget.charged, ['alpha']);
  });

  test('/hooks/<sender> and /hooks/agent charge the same budget: the envelope\'s sender', () => {
    const h = setup(2);
    assert.equal(h.post(signed(1), 'alpha').status, 202);
    assert.equal(h.post(signed(2), null).status, 202);
    const viaAgent = h.post(signed(3), null);
    const viaPath = h.post(signed(4), 'alpha');
    for (const r of [viaAgent, viaPath]) {
      assert.equal(r.status, 429, JSON.stringify(r.body));
      assert.equal(r.body.code, WireCode.RateLimited);
      assert.equal(r.retryAfterMs, RETRY_AFTER_MS);
    }
    assert.deepEqual(h.budget.charged, ['alpha', 'alpha']);
    // Another sender has its own budget.
    assert.equal(h.post(fromGamma(5), 'gamma').status, 202);
  });

  test('a rate-limited message is not stored, is audited, and its nonce is not spent', () => {
    const h = setup(1);
    assert.equal(h.post(signed(1), 'alpha').status, 202);
    const limited = h.post(signed(2), 'alpha');
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body, { ok: false, code: 'rate_limited', error: 'rate limit exceeded for this sender', id: testId(2) });
    assert.equal(h.store.inbox.get(testId(2)), null);
    assert.equal(h.rec.audit.at(-1)?.status, 'rejected_rate_limited');
    assert.deepEqual(h.rec.events.at(-1), { type: 'message.rejected', from: 'alpha', id: testId(2), code: 'rate_limited' });
    // The sender retries the very same bytes once it has budget again: accepted, not a replay.
    h.budget.refill();
    const retried = h.post(signed(2), 'alpha');
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.ok(h.store.inbox.get(testId(2)));
  });

  test('an unsigned peer on signing "none" is charged under its registered name', () => {
    const h = setup(1);
    assert.equal(h.post(fromGamma(1), 'gamma').status, 202);
    assert.equal(h.post(fromGamma(2), 'gamma').status, 429);
    assert.deepEqual(h.budget.charged, ['gamma']);
  });

  test('senders missing from the registry share one budget, so inventing names buys nothing', () => {
    const h = setup(2, { acceptUnknownSenders: true });
    assert.equal(h.post(jqText(envelopeEntries(1, { from: 'stranger_a' })), 'stranger_a').status, 202);
    assert.equal(h.post(jqText(envelopeEntries(2, { from: 'stranger_b' })), 'stranger_b').status, 202);
    assert.equal(h.post(jqText(envelopeEntries(3, { from: 'stranger_c' })), 'stranger_c').status, 429);
    assert.deepEqual(h.budget.charged, [UNREGISTERED_SENDERS_RATE_KEY, UNREGISTERED_SENDERS_RATE_KEY]);
    // Registered peers are not affected.
    assert.equal(h.post(signed(4), 'alpha').status, 202);
  });
});
