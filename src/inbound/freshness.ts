/**
 * Timestamp rules (bash-mesh-behavior.md §3.5, §14 E), enforced instead of merely flagged.
 * A message is accepted from its stamp (at most `futureSkewMs` ahead of our clock) until its
 * acceptance deadline, the earliest of:
 *  - its TTL: `timestamp + ttl < now` in whole seconds, exactly bash's `msg_epoch + ttl < now_epoch`;
 *  - `inbound.maxMessageAgeMs` after its stamp, whatever its TTL says;
 *  - the replay window after its stamp — unless its TTL is longer than the window AND it carries a
 *    nonce. A sender that queued a message for a peer that was down may retry for as long as the
 *    message's own TTL; the replay window only bounds messages that asked for less (the default
 *    300 s TTL, bash responses) and nonce-less ones, whose only replay guard is the inbox row, which
 *    lives for the retention period rather than for the acceptance period (see inbound-pipeline.ts).
 * A missing or unreadable timestamp is refused: without it neither the window nor the TTL can hold.
 */
import { parseWireTimestamp } from '../protocol/time.ts';
import { WireCode } from '../protocol/wire-codes.ts';

export interface FreshnessPolicy {
  replayWindowMs: number;
  futureSkewMs: number;
  maxMessageAgeMs: number;
}

/** What freshness needs of an envelope. */
export interface Stamped {
  timestamp: string;
  /** Whole seconds after `timestamp`. */
  ttl: number;
  nonce: string | null;
}

export type Freshness =
  | { fresh: true; timestampMs: number; acceptUntilMs: number }
  | { fresh: false; code: WireCode; reason: string };

export interface Deadline {
  /** First instant (epoch ms) at which the message is no longer accepted. */
  untilMs: number;
  /** Why it ends there: the rejection reason once it has passed. */
  reason: string;
}

/** The acceptance deadline of a message stamped `timestampMs` (integer epoch ms). */
export function acceptanceDeadline(timestampMs: number, ttlSeconds: number, hasNonce: boolean, policy: FreshnessPolicy): Deadline {
  // "Accepted while age <= X ms" ends at +X+1 (integer ms). The whole-second TTL rule,
  // floor(ts/1000) + ttl >= floor(now/1000), ends when the next second after that starts.
  const candidates: Deadline[] = [];
  if (!(hasNonce && ttlSeconds * 1000 > policy.replayWindowMs)) {
    candidates.push({ untilMs: timestampMs + policy.replayWindowMs + 1, reason: 'timestamp is older than the replay window' });
  }
  candidates.push({ untilMs: timestampMs + policy.maxMessageAgeMs + 1, reason: 'timestamp is older than the maximum message age' });
  candidates.push({ untilMs: (Math.floor(timestampMs / 1000) + ttlSeconds + 1) * 1000, reason: 'ttl has elapsed' });
  // The first candidate wins a tie, so the reasons above are listed from most to least telling.
  return candidates.reduce((a, b) => (b.untilMs < a.untilMs ? b : a));
}

/** Whether `msg` is acceptable at `nowMs`, and until when. */
export function assessFreshness(msg: Stamped, nowMs: number, policy: FreshnessPolicy): Freshness {
  const ts = parseWireTimestamp(msg.timestamp);
  if (ts === null) return { fresh: false, code: WireCode.MalformedEnvelope, reason: 'timestamp: required (ISO-8601 UTC)' };
  if (ts - nowMs > policy.futureSkewMs) return { fresh: false, code: WireCode.FutureTimestamp, reason: 'timestamp is too far in the future' };
  const deadline = acceptanceDeadline(ts, msg.ttl, msg.nonce !== null, policy);
  if (nowMs >= deadline.untilMs) return { fresh: false, code: WireCode.Expired, reason: deadline.reason };
  return { fresh: true, timestampMs: ts, acceptUntilMs: deadline.untilMs };
}
