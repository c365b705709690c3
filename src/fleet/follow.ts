/**
 * Which election a node follows (pure): its own, or an announcement it VERIFIED. The inbound pipeline
 * has already checked the envelope (bearer token, registry, signature per policy, freshness, replay);
 * here the announcement must also be signed (an unsigned one proves only the shared hook token), come
 * from the agent that ran it, be about our hub, and name a relay we know. Among those, the highest
 * (epoch, electedBy) wins (compareElections), so every node ends on the same election whatever order
 * the announcements arrive in. A losing one is "stale": ignored, audited by the caller.
 */
import type { ElectionIgnoredReason } from '../protocol/events.ts';
import { compareElections, type ElectionNotice } from '../protocol/election-notice.ts';
import type { RoutingState } from './routing-state.ts';

export interface AnnouncementContext {
  self: string;
  hub: string | null;
  /** The envelope's sender (authenticated as its auth says). */
  from: string;
  auth: 'hmac' | 'ed25519' | 'none';
  /** True when `name` is in this node's registry. */
  knows(name: string): boolean;
}

export type Judgement =
  | { follow: true; state: RoutingState }
  | { follow: false; reason: ElectionIgnoredReason | 'same'; state: RoutingState };

/** `s` as followed after an election (ours or a verified announcement). */
export function followed(s: RoutingState, n: ElectionNotice, now: number): RoutingState {
  return {
    epoch: n.epoch, hub: n.hub, relay: n.relay, electedBy: n.electedBy, electedAt: n.at, followedAt: now,
    maxEpochSeen: Math.max(s.maxEpochSeen, s.epoch, n.epoch),
  };
}

export function judgeAnnouncement(state: RoutingState, n: ElectionNotice, ctx: AnnouncementContext, now: number): Judgement {
  if (ctx.auth === 'none') return { follow: false, reason: 'unsigned', state };
  if (n.electedBy !== ctx.from) return { follow: false, reason: 'not_elector', state };
  if (n.hub !== ctx.hub) return { follow: false, reason: 'other_hub', state };
  if (n.relay !== null && n.relay !== ctx.self && !ctx.knows(n.relay)) return { follow: false, reason: 'unknown_relay', state };
  // Verified: its epoch counts towards ours even when it loses.
  const seen: RoutingState = { ...state, maxEpochSeen: Math.max(state.maxEpochSeen, state.epoch, n.epoch) };
  if (state.epoch === 0 || state.electedBy === null) return { follow: true, state: followed(seen, n, now) };
  const c = compareElections(n, { epoch: state.epoch, electedBy: state.electedBy, relay: state.relay });
  if (c > 0) return { follow: true, state: followed(seen, n, now) };
  return { follow: false, reason: c === 0 ? 'same' : 'stale', state: seen };
}
