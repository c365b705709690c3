/**
 * The node's adapter of the fleet's announcement port: `mesh send <peer> notification` with the
 * election in payload.metadata, signed (and routed) as the registry says for that peer, stored in the
 * durable outbox with the announcement's TTL, first attempt at once. A refusal before the outbox
 * (unknown peer, missing key) is an outcome, never a throw.
 *
 * An announcement replaces the ones still pending for the same peer that it equals or outranks
 * (compareElections): a receiver follows only the highest election it has seen, so an older one
 * reaching a peer that comes back is worth nothing, and retrying it until its TTL only costs
 * attempts and an `election_ignored` entry on the receiver. Those rows are withdrawn from the
 * outbox and audited `superseded`. One whose attempt is in flight (leased) is left alone.
 */
import { outboundAuditEntry } from '../delivery/outbound-audit.ts';
import type { FleetAnnouncement, FleetOutbound } from '../ports/fleet-outbound.ts';
import { compareElections, electionNoticeOf, type ElectionNotice } from '../protocol/election-notice.ts';
import { isMeshError } from '../protocol/errors.ts';
import type { JsonValue } from '../protocol/json.ts';
import type { MeshNode } from './mesh-node.ts';
import { sendMessage } from './send-message.ts';

/** The election a stored outbound envelope announces, or null (not an announcement, or unreadable). */
function announcedIn(envelopeText: string): ElectionNotice | null {
  let env: unknown;
  try {
    env = JSON.parse(envelopeText);
  } catch {
    return null;
  }
  const payload = (env as { payload?: { metadata?: JsonValue } } | null)?.payload;
  const n = electionNoticeOf(payload?.metadata);
  return n === 'malformed' ? null : n;
}

/** Withdraws `target`'s pending announcements that `newer` equals or outranks; returns how many. */
export function withdrawSuperseded(node: MeshNode, target: string, newer: ElectionNotice): number {
  const now = node.clock.now();
  const withdrawn = node.store.transaction(() => node.store.outbox.listPending(target)
    .filter((m) => m.type === 'notification')
    .filter((m) => {
      const older = announcedIn(m.envelope);
      return older !== null && compareElections(newer, older) >= 0;
    })
    .map((m) => node.store.outbox.withdraw(m.id, now))
    .filter((m) => m !== null));
  for (const m of withdrawn) {
    node.audit.record(outboundAuditEntry(m, 'superseded', now, `outbox; election epoch ${newer.epoch} by ${newer.electedBy} replaces it`));
  }
  return withdrawn.length;
}

export function createNodeFleetOutbound(node: MeshNode): FleetOutbound {
  return {
    async announce(a: FleetAnnouncement) {
      try {
        const notice = electionNoticeOf(a.metadata);
        if (notice !== null && notice !== 'malformed') withdrawSuperseded(node, a.target, notice);
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
