/**
 * The node's routing table, in the store's key/value table (shared by the daemon and every CLI
 * process):
 *
 *   fleet.routing  {"epoch", "hub", "relay", "electedBy", "electedAt", "followedAt", "maxEpochSeen"}
 *                  the election this node follows (epoch 0: none yet) and the highest epoch it ever
 *                  verified, so its own next election is max + 1 and epochs only grow
 *   fleet.routes   {"<peer>": {"route": "direct" | "relay", "via": <relay> | null}}
 *                  the routes as last computed, for `mesh status` / `mesh discover routes`; the sender
 *                  decides per message from the live state (routes.ts), not from this copy
 *
 * A value that does not parse (a hand edit, a newer MESH) reads as the empty table rather than failing.
 */
import type { Store } from '../ports/store.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import { isValidAgentName } from '../protocol/names.ts';

export const ROUTING_KEY = 'fleet.routing';
export const ROUTES_KEY = 'fleet.routes';

export interface RoutingState {
  /** Epoch of the election followed; 0 = none. */
  epoch: number;
  hub: string | null;
  /** The relay followed, or null (send directly). */
  relay: string | null;
  /** Who ran the election followed (null only at epoch 0). */
  electedBy: string | null;
  /** When that election ran (its `at`), epoch ms. */
  electedAt: number | null;
  /** When this node started following it (its own clock): the election hold counts from here. */
  followedAt: number | null;
  /** Highest epoch this node ever verified (its own included). */
  maxEpochSeen: number;
}

export type Route = { route: 'direct'; via: null } | { route: 'relay'; via: string };
export type RouteTable = Record<string, Route>;

export const EMPTY_ROUTING: Readonly<RoutingState> = Object.freeze({
  epoch: 0, hub: null, relay: null, electedBy: null, electedAt: null, followedAt: null, maxEpochSeen: 0,
});

const epochOf = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);
const timeOf = (v: JsonValue | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const nameOf = (v: JsonValue | undefined): string | null | undefined => {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' && isValidAgentName(v) ? v : undefined;
};

export function readRouting(store: Store): RoutingState {
  const v = store.kv.get(ROUTING_KEY);
  const epoch = epochOf(getField(v ?? undefined, 'epoch'));
  const maxEpochSeen = epochOf(getField(v ?? undefined, 'maxEpochSeen'));
  const hub = nameOf(getField(v ?? undefined, 'hub'));
  const relay = nameOf(getField(v ?? undefined, 'relay'));
  const electedBy = nameOf(getField(v ?? undefined, 'electedBy'));
  if (epoch === null || maxEpochSeen === null || hub === undefined || relay === undefined || electedBy === undefined) return { ...EMPTY_ROUTING };
  return {
    epoch, hub, relay, electedBy,
    electedAt: timeOf(getField(v ?? undefined, 'electedAt')),
    followedAt: timeOf(getField(v ?? undefined, 'followedAt')),
    maxEpochSeen: Math.max(maxEpochSeen, epoch),
  };
}

export function writeRouting(store: Store, s: RoutingState, now: number): void {
  store.kv.set(ROUTING_KEY, { ...s }, now);
}

export function readRoutes(store: Store): RouteTable {
  const v = store.kv.get(ROUTES_KEY);
  const out: RouteTable = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Map) return out;
  for (const [peer, r] of Object.entries(v)) {
    if (!isValidAgentName(peer)) continue;
    const via = getField(r, 'via');
    if (getField(r, 'route') === 'relay' && typeof via === 'string' && isValidAgentName(via)) out[peer] = { route: 'relay', via };
    else if (getField(r, 'route') === 'direct') out[peer] = { route: 'direct', via: null };
  }
  return out;
}

export function writeRoutes(store: Store, routes: RouteTable, now: number): void {
  store.kv.set(ROUTES_KEY, routes as unknown as JsonValue, now);
}
