/**
 * How the fleet service announces an election: one signed notification to one peer, through the
 * node's durable outbox (the node's adapter is `mesh send`), so a peer that is down now still gets it
 * within the TTL, and a peer reachable only through the relay gets it through the relay.
 */
import type { JsonValue } from '../protocol/json.ts';

export interface FleetAnnouncement {
  target: string;
  subject: string;
  body: string;
  metadata: JsonValue;
  ttlSeconds: number;
}

export interface FleetOutbound {
  /** Never rejects for a delivery problem: it resolves with the outcome (`delivered`, `queued`, …). */
  announce(a: FleetAnnouncement): Promise<{ status: string; error?: string }>;
}
