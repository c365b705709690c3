/**
 * `fleet.dedupAlerts`: the daemon de-duplicates a received `alert` before handing it to the agent, so
 * the agent is woken once per incident. The decision is made once per message, at its first hand-off
 * attempt, and stored on the inbox row with the incident; a retried hand-off reuses it. The alert's
 * time is when it was received. Its text is the subject and the body; its host and check are
 * `payload.metadata.host` / `.check` when they are valid, else inferred from the text, the host
 * falling back to the sender (docs/alert-dedup.md).
 */
import { ALERT_KEY_PART_RE } from '../fleet/alert-inference.ts';
import type { HandOffAlert } from '../ports/agent-delivery.ts';
import type { InboxMessage } from '../ports/store.ts';
import type { AlertDecision } from '../protocol/alerts.ts';
import { handOffAudit } from './hand-off-audit.ts';
import type { MeshNode } from './mesh-node.ts';
import { alertsOf } from './node-alerts.ts';

export type AlertTriage = { decision: 'suppressed'; incidentId: string | null } | HandOffAlert;

/** `payload.metadata[key]` of the stored envelope when it is a usable host/check name. */
function metadataKey(row: InboxMessage, key: 'host' | 'check'): string | undefined {
  try {
    const meta = (JSON.parse(row.envelope) as { payload?: { metadata?: Record<string, unknown> } | null } | null)?.payload?.metadata;
    const v = typeof meta === 'object' && meta !== null ? meta[key] : undefined;
    return typeof v === 'string' && ALERT_KEY_PART_RE.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const triage = (decision: AlertDecision, incidentId: string | null): AlertTriage =>
  decision === 'suppressed' ? { decision, incidentId } : { decision, incidentId };

/**
 * The row's decision: the stored one, else (an alert, with fleet.dedupAlerts on) a new one, stored;
 * null for anything else. A `suppressed` alert is marked handed off here, in the same transaction,
 * with an event and an audit entry: the caller must not hand it off.
 */
export function triageAlert(node: MeshNode, row: InboxMessage): AlertTriage | null {
  if (row.alertDecision !== null) return triage(row.alertDecision, row.incidentId);
  if (row.type !== 'alert' || !node.config.fleet.dedupAlerts) return null;
  const { store } = node;
  return store.transaction(() => {
    const current = store.inbox.get(row.id);
    if (current === null) return null;
    if (current.alertDecision !== null) return triage(current.alertDecision, current.incidentId);
    const r = alertsOf(node).dedup({
      text: `${row.subject}\n${row.body}`,
      host: metadataKey(row, 'host'),
      check: metadataKey(row, 'check'),
      fallbackHost: row.from,
      at: row.receivedAt,
    });
    const incidentId = r.incident?.id ?? null;
    store.inbox.setAlertTriage(row.id, r.decision, incidentId);
    if (r.decision === 'suppressed') {
      store.inbox.markHandedOff(row.id, node.clock.now());
      node.events.emit({ type: 'message.hand_off_suppressed', id: row.id, incidentId });
      node.audit.record(handOffAudit(node, row, 'hand_off_suppressed',
        incidentId === null ? 'alert suppressed: a recovery with no incident to resolve' : `alert suppressed: incident ${incidentId}`));
    }
    return triage(r.decision, incidentId);
  });
}
