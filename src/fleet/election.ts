/**
 * The election rules, pure (tested with an injected clock): who the hub is, when it counts as down,
 * who becomes relay, when the fleet goes back to direct routes. bash-mesh-behavior.md §10.1 describes
 * the bash rules and their defects; these are the rules done right:
 *
 *  - The hub is unreachable after `unreachableAfterFailures` consecutive failed probes; it is up again
 *    at its first good probe. In between (a blip) nothing changes.
 *  - Candidates: not the hub, forwarding (a MESH-TS node that advertises forward/1, or this node when
 *    forwarding is on), reachable at the last probe (this node always is, to itself). First the
 *    candidates with role `relay` or `sre`, by NAME (registry order differs from node to node, names
 *    do not); else the peer with the lowest median latency, ties by name (this node does not count:
 *    its latency to itself says nothing about the fleet).
 *  - A new election takes epoch max(every epoch seen) + 1, so epochs only grow; which of two
 *    simultaneous elections wins is decided by compareElections, the same on every node.
 *  - While a relay is followed: the hub's return ends it (a new epoch with relay null); a relay that
 *    became unreachable is replaced (a new epoch without it).
 *  - After following any election, a node waits `electionHoldMs` before starting one of its own
 *    (unless asked explicitly), so a node with a partial view cannot flip the fleet every round.
 */
import { FEATURE_FORWARD } from '../protocol/node-features.ts';
import type { RoutingState } from './routing-state.ts';

export interface Member {
  name: string;
  role: string;
  self: boolean;
  /** Reachable at its last probe (this node: true). */
  reachable: boolean;
  consecutiveFailures: number;
  medianMs: number | null;
  /** Forwards relayed envelopes (advertised forward/1; this node: its forwarding setting). */
  forwards: boolean;
}

export interface ElectionInput {
  self: string;
  hub: string | null;
  /** Every registry agent, this node included. */
  members: readonly Member[];
  state: RoutingState;
  now: number;
  unreachableAfterFailures: number;
  electionHoldMs: number;
  /** Ignore the hold (an operator's `mesh discover elect`). */
  force?: boolean;
}

export type HubStatus = 'none' | 'up' | 'down' | 'unsure';

export type Decision =
  | { kind: 'keep'; reason: 'no_hub' | 'hub_up' | 'hub_unsure' | 'relay_ok' | 'hold' }
  | { kind: 'elect'; relay: string; epoch: number; reason: 'hub_unreachable' | 'relay_unreachable' }
  | { kind: 'return'; epoch: number; reason: 'hub_reachable' | 'no_hub' }
  | { kind: 'isolated' };

export const RELAY_ROLES: readonly string[] = ['relay', 'sre'];

export function hubStatus(input: Pick<ElectionInput, 'hub' | 'members' | 'unreachableAfterFailures'>): HubStatus {
  if (input.hub === null) return 'none';
  const m = input.members.find((x) => x.name === input.hub);
  if (m === undefined) return 'none';
  if (m.self || (m.reachable && m.consecutiveFailures === 0)) return 'up';
  return m.consecutiveFailures >= input.unreachableAfterFailures ? 'down' : 'unsure';
}

export function memberForwards(features: readonly string[] | null): boolean {
  return features !== null && features.includes(FEATURE_FORWARD);
}

const byName = (a: Member, b: Member): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The relay this node would elect now (never `exclude`), or null when there is no candidate. */
export function pickRelay(input: Pick<ElectionInput, 'hub' | 'members'>, exclude: string | null = null): string | null {
  const eligible = (m: Member): boolean =>
    m.name !== input.hub && m.name !== exclude && m.forwards && (m.self || (m.reachable && m.consecutiveFailures === 0));
  const byRole = input.members.filter((m) => RELAY_ROLES.includes(m.role) && eligible(m)).sort(byName);
  if (byRole[0] !== undefined) return byRole[0].name;
  const byLatency = input.members
    .filter((m) => !m.self && eligible(m) && m.medianMs !== null)
    .sort((a, b) => (a.medianMs as number) - (b.medianMs as number) || byName(a, b));
  return byLatency[0]?.name ?? null;
}

/** The epoch of this node's next election or return announcement. */
export function nextEpoch(state: RoutingState): number {
  return Math.max(state.maxEpochSeen, state.epoch) + 1;
}

function relayUsable(input: ElectionInput, relay: string): boolean {
  const m = input.members.find((x) => x.name === relay);
  if (m === undefined || m.name === input.hub) return false;
  if (m.self) return m.forwards;
  return m.forwards && m.consecutiveFailures < input.unreachableAfterFailures;
}

export function decide(input: ElectionInput): Decision {
  const { state } = input;
  const hub = hubStatus(input);
  const held = input.force !== true && state.followedAt !== null && input.now - state.followedAt < input.electionHoldMs;
  if (hub === 'none') {
    if (state.relay === null) return { kind: 'keep', reason: 'no_hub' };
    return held ? { kind: 'keep', reason: 'hold' } : { kind: 'return', epoch: nextEpoch(state), reason: 'no_hub' };
  }
  if (state.relay !== null) {
    if (hub === 'up') return held ? { kind: 'keep', reason: 'hold' } : { kind: 'return', epoch: nextEpoch(state), reason: 'hub_reachable' };
    if (relayUsable(input, state.relay)) return { kind: 'keep', reason: 'relay_ok' };
    if (held) return { kind: 'keep', reason: 'hold' };
    const relay = pickRelay(input, state.relay);
    return relay === null ? { kind: 'isolated' } : { kind: 'elect', relay, epoch: nextEpoch(state), reason: 'relay_unreachable' };
  }
  if (hub === 'up') return { kind: 'keep', reason: 'hub_up' };
  if (hub === 'unsure') return { kind: 'keep', reason: 'hub_unsure' };
  if (held) return { kind: 'keep', reason: 'hold' };
  const relay = pickRelay(input);
  return relay === null ? { kind: 'isolated' } : { kind: 'elect', relay, epoch: nextEpoch(state), reason: 'hub_unreachable' };
}
