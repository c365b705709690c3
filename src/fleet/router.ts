/**
 * The Router port (ports/routing.ts) over the store: every CLI process and the daemon read the same
 * routing table and health rows, so `mesh send` routes as the daemon would. Cheap: two or three
 * primary-key reads, and only for messages whose peer's circuit is not closed.
 */
import type { Router } from '../ports/routing.ts';
import type { Store } from '../ports/store.ts';
import { readRouting } from './routing-state.ts';
import { relayFor } from './routes.ts';

export function createFleetRouter(deps: { store: Store; self: string }): Router {
  return {
    relayFor(peer, message) {
      const state = readRouting(deps.store);
      if (state.relay === null) return null;
      return relayFor({ self: deps.self, state, health: (p) => deps.store.peers.get(p) }, peer, message.signed);
    },
  };
}
