/**
 * The incident part of the Store port (alert de-duplication).
 * Same conventions as store.ts: times are epoch milliseconds, methods are synchronous and atomic on
 * their own, "not found" is null/false, and callers group calls with `Store.transaction`.
 */
import type { IncidentResolution } from '../protocol/alerts.ts';

export interface IncidentRecord {
  /** `inc_<UTC YYYYMMDD of firstSeen>_<host>_<check>_<8 hex>`: bash's prefix, unique. */
  id: string;
  /** `<host>/<check>`: an alert joins the active incident with its key. */
  dedupKey: string;
  /** bash's incident type; alerts open `service_alert` incidents. */
  type: string;
  /** bash's `<host>/<check>`. */
  scope: string;
  host: string;
  check: string;
  /** The alert that opened it: one line, at most 200 characters. */
  summary: string;
  status: 'active' | 'resolved';
  firstSeen: number;
  lastSeen: number;
  /** Alerts counted in it, the recovery that resolved it included. */
  alertCount: number;
  affectedHosts: string[];
  /** An alert of it escalated; it stays escalated until resolved. */
  escalated: boolean;
  /** When the operator was last notified (`new` or `escalate`): the current window starts there. */
  lastNotifiedAt: number;
  /** Alerts since lastNotifiedAt, the one that notified included. */
  windowCount: number;
  /** Alerts that notified the operator (`new` and `escalate`). */
  notifications: number;
  resolvedAt: number | null;
  resolvedBy: IncidentResolution | null;
}

export interface IncidentRepo {
  /** Inserts or replaces (by id). */
  put(i: IncidentRecord): void;
  get(id: string): IncidentRecord | null;
  /** The active incident with this key, latest lastSeen first if (against the rules) there are several. */
  findActive(dedupKey: string): IncidentRecord | null;
  /** Oldest first (by firstSeen). */
  list(filter?: { status?: IncidentRecord['status']; limit?: number }): IncidentRecord[];
  /** Deletes resolved incidents with resolvedAt < before; returns how many. Active ones are never pruned. */
  pruneResolved(before: number): number;
}
