/**
 * Throttles clients that keep presenting bad hook tokens, like OpenClaw's hook auth limiter:
 * `maxFailures` failures within `windowMs` lock the client out for `lockoutMs`; while locked out,
 * bad attempts are answered 429 instead of 401. A correct token always passes and clears the record.
 */
import type { Clock } from '../../ports/clock.ts';

export interface AuthFailureLimiterOptions {
  clock: Clock;
  maxFailures?: number;
  windowMs?: number;
  lockoutMs?: number;
  /** Clients tracked at most; expired records are pruned first, then the oldest. */
  maxClients?: number;
}

interface Record_ {
  windowStart: number;
  failures: number;
  lockedUntil: number;
}

export interface AuthFailureLimiter {
  /** Milliseconds the client remains locked out, or 0. */
  lockedFor(client: string): number;
  /** Records a failure; returns true when this failure started a lockout. */
  fail(client: string): boolean;
  succeed(client: string): void;
}

export function createAuthFailureLimiter(o: AuthFailureLimiterOptions): AuthFailureLimiter {
  const maxFailures = o.maxFailures ?? 20;
  const windowMs = o.windowMs ?? 60_000;
  const lockoutMs = o.lockoutMs ?? 60_000;
  const maxClients = o.maxClients ?? 10_000;
  const records = new Map<string, Record_>();

  const prune = (now: number): void => {
    for (const [k, r] of records) {
      if (r.lockedUntil <= now && now - r.windowStart >= windowMs) records.delete(k);
    }
    // Still too many: drop the oldest entries (Map iterates in insertion order).
    for (const k of records.keys()) {
      if (records.size < maxClients) break;
      records.delete(k);
    }
  };

  return {
    lockedFor(client) {
      const r = records.get(client);
      if (r === undefined) return 0;
      return Math.max(0, r.lockedUntil - o.clock.now());
    },
    fail(client) {
      const now = o.clock.now();
      let r = records.get(client);
      if (r === undefined || (r.lockedUntil <= now && now - r.windowStart >= windowMs)) {
        if (r === undefined && records.size >= maxClients) prune(now);
        r = { windowStart: now, failures: 0, lockedUntil: 0 };
        records.set(client, r);
      }
      r.failures += 1;
      if (r.failures >= maxFailures && r.lockedUntil <= now) {
        r.lockedUntil = now + lockoutMs;
        return true;
      }
      return false;
    },
    succeed(client) {
      records.delete(client);
    },
  };
}
