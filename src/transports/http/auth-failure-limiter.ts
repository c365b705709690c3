/**
 * Throttles clients that keep presenting bad hook tokens, like OpenClaw's hook auth limiter:
 * `maxFailures` failures within any `windowMs` lock the client out for `lockoutMs`; while locked
 * out, bad attempts are answered 429 instead of 401. A correct token still passes during a lockout
 * (peers behind the same address must not be shut out by a neighbour's guessing).
 *
 * Unlike OpenClaw, a success does NOT clear the client's failures: otherwise a client guessing
 * tokens could interleave one valid request every 19 guesses and never be throttled. Failures age
 * out instead: the window slides, so only failures younger than `windowMs` count. A lockout starts
 * the count afresh (it is the penalty for the failures that caused it).
 */
import type { Clock } from '../../ports/clock.ts';

export const DEFAULT_AUTH_MAX_FAILURES = 20;
export const DEFAULT_AUTH_WINDOW_MS = 60_000;
export const DEFAULT_AUTH_LOCKOUT_MS = 60_000;
export const DEFAULT_AUTH_MAX_CLIENTS = 10_000;

export interface AuthFailureLimiterOptions {
  clock: Clock;
  maxFailures?: number;
  windowMs?: number;
  lockoutMs?: number;
  /** Clients tracked at most; records with nothing left to remember are pruned first, then the oldest. */
  maxClients?: number;
}

interface ClientRecord {
  /** Times of the failures still inside the window, oldest first (at most maxFailures). */
  failures: number[];
  lockedUntil: number;
}

export interface AuthFailureLimiter {
  /** Milliseconds the client remains locked out, or 0. */
  lockedFor(client: string): number;
  /** Records a failure; returns true when this failure started a lockout. */
  fail(client: string): boolean;
}

export function createAuthFailureLimiter(o: AuthFailureLimiterOptions): AuthFailureLimiter {
  const maxFailures = o.maxFailures ?? DEFAULT_AUTH_MAX_FAILURES;
  const windowMs = o.windowMs ?? DEFAULT_AUTH_WINDOW_MS;
  const lockoutMs = o.lockoutMs ?? DEFAULT_AUTH_LOCKOUT_MS;
  const maxClients = o.maxClients ?? DEFAULT_AUTH_MAX_CLIENTS;
  const records = new Map<string, ClientRecord>();

  /** Drops failures that slid out of the window (a clock stepped back keeps them). */
  const age = (r: ClientRecord, now: number): void => {
    let drop = 0;
    while (drop < r.failures.length && now - (r.failures[drop] as number) >= windowMs) drop++;
    if (drop > 0) r.failures.splice(0, drop);
  };
  const idle = (r: ClientRecord, now: number): boolean => r.lockedUntil <= now && r.failures.length === 0;

  const prune = (now: number): void => {
    for (const [k, r] of records) {
      age(r, now);
      if (idle(r, now)) records.delete(k);
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
      if (r === undefined) {
        if (records.size >= maxClients) prune(now);
        r = { failures: [], lockedUntil: 0 };
        records.set(client, r);
      }
      if (r.lockedUntil > now) return false;
      age(r, now);
      r.failures.push(now);
      if (r.failures.length < maxFailures) return false;
      r.failures.length = 0;
      r.lockedUntil = now + lockoutMs;
      return true;
    },
  };
}
