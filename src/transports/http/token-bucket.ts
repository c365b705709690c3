/**
 * Per-key token buckets (one per sender, or per client address): `ratePerSecond` tokens flow in, at
 * most `burst` are held. A request takes one token; an empty bucket answers how long until the next
 * token. Implements the RateLimit port, so the composition root can hand it to services too.
 */
import type { Clock } from '../../ports/clock.ts';
import type { RateDecision, RateLimit } from '../../ports/rate-limit.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';

export interface RateLimiterOptions {
  clock: Clock;
  ratePerSecond: number;
  burst: number;
  /** Keys tracked at most; full buckets (indistinguishable from new ones) are pruned first. */
  maxKeys?: number;
}

export type TakeResult = RateDecision;
export type RateLimiter = RateLimit;

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(o: RateLimiterOptions): RateLimiter {
  if (!(o.ratePerSecond > 0) || !(o.burst >= 1)) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, 'rate limit needs ratePerSecond > 0 and burst >= 1', {
      details: { ratePerSecond: o.ratePerSecond, burst: o.burst },
    });
  }
  const maxKeys = o.maxKeys ?? 10_000;
  const buckets = new Map<string, Bucket>();
  const perMs = o.ratePerSecond / 1000;

  const refill = (b: Bucket, now: number): void => {
    // A clock that steps back must not mint tokens or push them negative.
    const elapsed = Math.max(0, now - b.at);
    b.tokens = Math.min(o.burst, b.tokens + elapsed * perMs);
    b.at = Math.max(b.at, now);
  };

  const prune = (now: number): void => {
    for (const [k, b] of buckets) {
      refill(b, now);
      if (b.tokens >= o.burst) buckets.delete(k);
    }
    for (const k of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(k);
    }
  };

  return {
    take(key) {
      const now = o.clock.now();
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= maxKeys) prune(now);
        b = { tokens: o.burst, at: now };
        buckets.set(key, b);
      } else {
        refill(b, now);
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / perMs) };
    },
  };
}
