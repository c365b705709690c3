/**
 * A rate limit keyed by a caller-chosen string (a sender's name, a client address). `take` spends
 * one unit of the key's budget; a refusal says how long until the next unit is available.
 * Implementations keep their state in memory: a limit protects one running process.
 */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

export interface RateLimit {
  take(key: string): RateDecision;
}
