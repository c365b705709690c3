/**
 * The node's state in brief, for the SDK's `status()` and the MCP `fleet_status` tool: who this node
 * is, its peers (address, health from the last probe, circuit, queue depth, dead letters), the
 * outbox and dead-letter totals, the circuits that are not closed, and the event-log position the
 * snapshot was read at (subscribe from there to miss nothing after it), and under `fleet` what
 * `mesh status --json` reports (the same function: peer status, latency, routes, hub, relay and epoch,
 * message counts, recent messages). Read from the store and the registry, no token or key in it.
 */
import type { BreakerRecord } from '../ports/store.ts';
import { fleetSnapshot, type FleetSnapshot } from './fleet-status.ts';
import type { MeshNode } from './mesh-node.ts';
import { peerOverviews, type PeerOverview } from './mesh-overview.ts';

export interface StatusSnapshot {
  agent: string;
  /** Epoch milliseconds. */
  generatedAt: number;
  /** The event-log position this snapshot was read at. */
  eventSeq: number;
  peers: PeerOverview[];
  queue: { total: number; byPeer: Record<string, number> };
  deadLetters: { total: number; byPeer: Record<string, number> };
  /** Circuits that are open or half-open (closed ones are the default and are left out). */
  circuits: Pick<BreakerRecord, 'peer' | 'state' | 'consecutiveFailures' | 'openUntil'>[];
  /** The fleet as `mesh status` shows it. `recent[].subject` is another agent's text. */
  fleet: FleetSnapshot;
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

export function statusSnapshot(node: MeshNode): StatusSnapshot {
  const store = node.store;
  // The position first: whatever happens after it is in the log past it.
  const eventSeq = store.events.latestSeq();
  const breakers = store.breakers.list();
  const queue = store.outbox.pendingCounts();
  const deadLetterCounts = store.deadLetters.counts();
  return {
    agent: node.self,
    generatedAt: node.clock.now(),
    eventSeq,
    peers: peerOverviews(node, { breakers, queue, deadLetterCounts }),
    queue: { total: sum(queue), byPeer: queue },
    deadLetters: { total: sum(deadLetterCounts), byPeer: deadLetterCounts },
    circuits: breakers.filter((b) => b.state !== 'closed').map((b) => ({
      peer: b.peer, state: b.state, consecutiveFailures: b.consecutiveFailures, openUntil: b.openUntil,
    })),
    fleet: fleetSnapshot(node),
  };
}
