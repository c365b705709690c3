/**
 * Retry schedule of outbound delivery. Pure functions: the delivery service asks "after N failed
 * attempts, when is the next one due?" and gets a delay or "exhausted".
 *
 * `delaysMs[n - 1]` is the delay before attempt n, so the number of attempts is `delaysMs.length`.
 * The default matches bash MESH (0, 5, 15, 60 s; bash-mesh-behavior.md §4.4) so a mixed fleet sees
 * the same pacing, but the schedule is durable here: attempts survive a crash of the sender.
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

export interface RetryPolicy {
  /** Delay before each attempt; the first entry is normally 0 (send at once). */
  readonly delaysMs: readonly number[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  delaysMs: Object.freeze([0, 5_000, 15_000, 60_000]),
});

/** A peer's Retry-After is honoured up to this long; longer requests are cut to it. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;

/** Checks a policy from configuration: at least one attempt, finite non-negative delays. */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const d = policy.delaysMs;
  if (d.length === 0) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'retry policy needs at least one attempt');
  }
  for (const [i, ms] of d.entries()) {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new MeshError(MeshErrorCode.InvalidArgument, 'retry delays must be finite and >= 0', {
        details: { index: i },
      });
    }
  }
  return { delaysMs: Object.freeze([...d]) };
}

export function maxAttempts(policy: RetryPolicy): number {
  return policy.delaysMs.length;
}

/**
 * Delay before the next attempt after `attemptsMade` attempts have failed (0: before the first
 * one), or null when the schedule is exhausted (the message goes to dead letters).
 *
 * A Retry-After (from a 429/503) wins when it is longer than the scheduled delay, capped at
 * `maxRetryAfterMs` so a hostile or confused peer cannot park a message for days. It never extends
 * the number of attempts.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  attemptsMade: number,
  retryAfterMs: number | null = null,
  maxRetryAfterMs: number = DEFAULT_MAX_RETRY_AFTER_MS,
): number | null {
  const scheduled = policy.delaysMs[attemptsMade];
  if (scheduled === undefined) return null;
  if (retryAfterMs === null || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return scheduled;
  return Math.max(scheduled, Math.min(retryAfterMs, maxRetryAfterMs));
}
