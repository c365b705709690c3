/**
 * Timestamp rules (bash-mesh-behavior.md §3.5, §14 E), enforced instead of merely flagged:
 *  - older than the replay window → expired;
 *  - more than the skew tolerance in the future → future_timestamp;
 *  - `timestamp + ttl < now` in whole seconds, exactly bash's `msg_epoch + ttl < now_epoch` → expired.
 * A missing or unreadable timestamp is refused: without it neither the window nor the TTL can hold.
 */
import { parseWireTimestamp } from '../protocol/time.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { reject } from './rejection.ts';

export interface FreshnessPolicy {
  replayWindowMs: number;
  futureSkewMs: number;
}

/** Returns the message time (epoch ms) or rejects. */
export function checkFreshness(timestamp: string, ttlSeconds: number, nowMs: number, policy: FreshnessPolicy): number {
  const ts = parseWireTimestamp(timestamp);
  if (ts === null) return reject(WireCode.MalformedEnvelope, 'timestamp: required (ISO-8601 UTC)');
  if (nowMs - ts > policy.replayWindowMs) return reject(WireCode.Expired, 'timestamp is older than the replay window');
  if (ts - nowMs > policy.futureSkewMs) return reject(WireCode.FutureTimestamp, 'timestamp is too far in the future');
  if (Math.floor(ts / 1000) + ttlSeconds < Math.floor(nowMs / 1000)) return reject(WireCode.Expired, 'ttl has elapsed');
  return ts;
}
