/**
 * A rate limit whose settings follow the node's live configuration: when `settings()` returns a
 * different rate or burst, the buckets start again under the new settings (a change is rare, and
 * starting full errs on the side of letting peers through once).
 */
import type { Clock } from '../ports/clock.ts';
import type { RateLimit } from '../ports/rate-limit.ts';
import { createRateLimiter } from '../transports/http/token-bucket.ts';

export interface RateSettings {
  ratePerSecond: number;
  burst: number;
}

export function liveRateLimit(clock: Clock, settings: () => RateSettings): RateLimit {
  let current = settings();
  let limiter = createRateLimiter({ clock, ...current });
  return {
    take(key) {
      const next = settings();
      if (next.ratePerSecond !== current.ratePerSecond || next.burst !== current.burst) {
        current = { ratePerSecond: next.ratePerSecond, burst: next.burst };
        limiter = createRateLimiter({ clock, ...current });
      }
      return limiter.take(key);
    },
  };
}
