/**
 * The node's adapter of the fleet's announcement port: `mesh send <peer> notification` with the
 * election in payload.metadata, signed (and routed) as the registry says for that peer, stored in the
 * durable outbox with the announcement's TTL, first attempt at once. A refusal before the outbox
 * (unknown peer, missing key) is an outcome, never a throw.
 */
import type { FleetAnnouncement, FleetOutbound } from '../ports/fleet-outbound.ts';
import { isMeshError } from '../protocol/errors.ts';
import type { MeshNode } from './mesh-node.ts';
import { sendMessage } from './send-message.ts';

export function createNodeFleetOutbound(node: MeshNode): FleetOutbound {
  return {
    async announce(a: FleetAnnouncement) {
      try {
        const [r] = await sendMessage(node, {
          target: a.target, type: 'notification', body: a.body, subject: a.subject, metadata: a.metadata, ttlSeconds: a.ttlSeconds,
        });
        if (r === undefined) return { status: 'failed', error: 'NOT_SENT' };
        const error = r.error ?? r.reason;
        return error === undefined ? { status: r.status } : { status: r.status, error };
      } catch (e) {
        if (!isMeshError(e)) throw e;
        return { status: 'failed', error: e.code };
      }
    },
  };
}
