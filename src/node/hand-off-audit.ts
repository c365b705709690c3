/**
 * Audit entries about handing a received message to the local agent, and the operator's retry of a
 * hand-off that failed for good (`mesh inbox retry`). Header fields only, never the body.
 */
import { envelopeHeader } from '../delivery/outbound-audit.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { AuditEntry, InboxMessage } from '../ports/store.ts';
import type { MeshNode } from './mesh-node.ts';

export function handOffAudit(node: MeshNode, row: InboxMessage, status: string, detail: string): AuditEntry {
  const header = envelopeHeader(row.envelope);
  return {
    ts: node.clock.now(),
    direction: 'in',
    status,
    id: row.id,
    from: row.from,
    to: row.to,
    type: row.type,
    subject: row.subject,
    correlationId: row.correlationId,
    conversationId: row.conversationId,
    signed: header.signed,
    encrypted: header.encrypted,
    detail,
  };
}

/**
 * Puts a message whose hand-off failed for good back in line (due now, attempts reset); the
 * daemon's hand-off worker takes it on its next tick. Throws NOT_FOUND for an unknown id or a
 * message that is not in state 'failed'. Returns the row as it was before the retry.
 */
export function retryHandOff(node: MeshNode, id: string): InboxMessage {
  const row = node.store.inbox.get(id);
  if (row === null) throw new MeshError(MeshErrorCode.NotFound, `no message with id "${id.slice(0, 80)}" in the inbox (see mesh inbox)`);
  const done = node.store.transaction(() => {
    if (!node.store.inbox.retryDelivery(id, node.clock.now())) return false;
    node.audit.record(handOffAudit(node, row, 'hand_off_retried', `after ${row.deliveryAttempts} attempt(s): ${row.deliveryError ?? 'no error recorded'}`));
    return true;
  });
  if (!done) {
    throw new MeshError(MeshErrorCode.NotFound, `${id} is not failed (hand-off: ${row.deliveryState}): only failed hand-offs can be retried`);
  }
  return row;
}
