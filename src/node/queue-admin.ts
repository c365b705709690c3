/**
 * Hand-run outbox and dead-letter clean-up (`mesh queue purge`, `mesh dlq purge`). Every deleted
 * message is audited `purged`, so the audit trail says what became of it. Listing and deleting run
 * in one write transaction: what is audited is exactly what was deleted.
 */
import type { AuditEntry, DeadLetter, OutboxMessage } from '../ports/store.ts';
import { outboundAuditEntry } from '../delivery/outbound-audit.ts';
import type { MeshNode } from './mesh-node.ts';

export interface PurgedOutbox {
  purged: OutboxMessage[];
  /** Of those, how many were leased by a worker at that moment: their attempt may still deliver them. */
  inFlight: number;
}

function audit(node: MeshNode, entries: AuditEntry[]): void {
  for (const e of entries) node.audit.record(e);
}

export function purgeOutbox(node: MeshNode, peer?: string): PurgedOutbox {
  const store = node.store;
  const now = node.clock.now();
  const purged = store.transaction(() => {
    const rows = store.outbox.listPending(peer);
    store.outbox.purgePending(peer);
    return rows;
  });
  audit(node, purged.map((m) => outboundAuditEntry(m, 'purged', now, 'outbox; mesh queue purge')));
  return { purged, inFlight: purged.filter((m) => m.leaseUntil > now).length };
}

export function purgeDeadLetters(node: MeshNode, peer?: string): DeadLetter[] {
  const store = node.store;
  const now = node.clock.now();
  const purged = store.transaction(() => {
    const rows = store.deadLetters.list(peer === undefined ? {} : { peer });
    store.deadLetters.purge(peer);
    return rows;
  });
  audit(node, purged.map((l) => outboundAuditEntry(l, 'purged', now, `dead_letters; mesh dlq purge; was ${l.reason}`)));
  return purged;
}
