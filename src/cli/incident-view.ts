/** How `mesh dedup --json` and `mesh incidents` show an incident. */
import type { IncidentRecord } from '../ports/store.ts';
import { isoTime } from './time-args.ts';

/**
 * The JSON view: times as ISO strings, and for an active incident `windowEndsAt`, the moment after
 * which its next alert notifies again (`new`, or `escalate` once escalated).
 */
export function incidentJson(i: IncidentRecord, windowMs: number): Record<string, unknown> {
  return {
    id: i.id, host: i.host, check: i.check, dedupKey: i.dedupKey, type: i.type, status: i.status, summary: i.summary,
    firstSeen: isoTime(i.firstSeen), lastSeen: isoTime(i.lastSeen), alertCount: i.alertCount, affectedHosts: i.affectedHosts,
    escalated: i.escalated, notifications: i.notifications, lastNotifiedAt: isoTime(i.lastNotifiedAt), windowCount: i.windowCount,
    windowEndsAt: i.status === 'active' ? isoTime(i.lastNotifiedAt + windowMs) : null,
    resolvedAt: isoTime(i.resolvedAt), resolvedBy: i.resolvedBy,
  };
}

/** `active`, `active, escalated`, `resolved (recovery)`. */
export function incidentState(i: IncidentRecord): string {
  if (i.status === 'resolved') return `resolved (${i.resolvedBy ?? 'unknown'})`;
  return i.escalated ? 'active, escalated' : 'active';
}
