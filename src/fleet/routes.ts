/**
 * Route decisions (pure): when a message goes through the followed relay instead of directly.
 *
 * A message to peer P goes through relay R when P cannot be reached directly (the delivery service
 * asks only while P's circuit is not closed; the route table also counts `unreachableAfterFailures`
 * failed probes) and:
 *  - a relay R is followed, R is neither P nor this node, and P is not the hub (a relay exists
 *    because the hub is down: messages to the hub wait for it, or for its dead-letter replay);
 *  - R was reachable at its last probe and advertises forward/1;
 *  - P verifies relayed envelopes (advertised relay/1), or the message is unsigned. A bash peer
 *    verifies the marker as part of the signed bytes, so a signed envelope relayed to it would be
 *    rejected (or, bash being advisory, flagged invalid): such messages wait for the direct path.
 * A relayed envelope is never relayed again: the delivery service does not ask for envelopes this node
 * forwards for others.
 */
import type { PeerHealth } from '../ports/store.ts';
import { FEATURE_FORWARD, FEATURE_RELAY } from '../protocol/node-features.ts';
import type { Route, RouteTable, RoutingState } from './routing-state.ts';

export interface RouteContext {
  self: string;
  state: RoutingState;
  health(peer: string): PeerHealth | null;
}

export function relayFor(ctx: RouteContext, peer: string, signed: boolean): string | null {
  const relay = ctx.state.relay;
  if (relay === null || relay === peer || relay === ctx.self || peer === ctx.state.hub) return null;
  const r = ctx.health(relay);
  if (r === null || !r.reachable || !(r.features ?? []).includes(FEATURE_FORWARD)) return null;
  if (signed && !(ctx.health(peer)?.features ?? []).includes(FEATURE_RELAY)) return null;
  return relay;
}

export interface RoutePeer {
  name: string;
  /** Messages to it are signed (its registry signing is not "none"). */
  signed: boolean;
  /** Its circuit is closed (the delivery service sends to it directly). */
  circuitClosed: boolean;
}

/** The route of every peer as of now, for display and `route.changed` events. */
export function routeTable(ctx: RouteContext, peers: readonly RoutePeer[], unreachableAfterFailures: number): RouteTable {
  const table: RouteTable = {};
  for (const p of peers) {
    const failures = ctx.health(p.name)?.consecutiveFailures ?? 0;
    const down = !p.circuitClosed || failures >= unreachableAfterFailures;
    const via = down ? relayFor(ctx, p.name, p.signed) : null;
    const route: Route = via === null ? { route: 'direct', via: null } : { route: 'relay', via };
    table[p.name] = route;
  }
  return table;
}
