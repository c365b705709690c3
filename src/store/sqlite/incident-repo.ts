import type { IncidentRecord, IncidentRepo } from '../../ports/store.ts';
import { parseStringArray, sqlLimit, stringArrayText } from './json-columns.ts';
import type { SqliteDb } from './sqlite-db.ts';

interface IncidentRow {
  id: string;
  dedup_key: string;
  type: string;
  scope: string;
  host: string;
  check_name: string;
  summary: string;
  status: IncidentRecord['status'];
  first_seen: number;
  last_seen: number;
  alert_count: number;
  affected_hosts: string;
  escalated: number;
  last_notified_at: number;
  window_count: number;
  notifications: number;
  resolved_at: number | null;
  resolved_by: IncidentRecord['resolvedBy'];
}

function toIncident(r: IncidentRow): IncidentRecord {
  return {
    id: r.id, dedupKey: r.dedup_key, type: r.type, scope: r.scope, host: r.host, check: r.check_name, summary: r.summary,
    status: r.status, firstSeen: r.first_seen, lastSeen: r.last_seen, alertCount: r.alert_count,
    affectedHosts: parseStringArray(r.affected_hosts), escalated: r.escalated !== 0, lastNotifiedAt: r.last_notified_at,
    windowCount: r.window_count, notifications: r.notifications, resolvedAt: r.resolved_at, resolvedBy: r.resolved_by,
  };
}

export class SqliteIncidentRepo implements IncidentRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  put(i: IncidentRecord): void {
    const db = this.#db;
    const hosts = stringArrayText(i.affectedHosts);
    db.write(
      `INSERT INTO incidents (id, dedup_key, type, scope, host, check_name, summary, status, first_seen, last_seen,
         alert_count, affected_hosts, escalated, last_notified_at, window_count, notifications, resolved_at, resolved_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET dedup_key = excluded.dedup_key, type = excluded.type, scope = excluded.scope,
         host = excluded.host, check_name = excluded.check_name, summary = excluded.summary, status = excluded.status,
         first_seen = excluded.first_seen, last_seen = excluded.last_seen, alert_count = excluded.alert_count,
         affected_hosts = excluded.affected_hosts, escalated = excluded.escalated, last_notified_at = excluded.last_notified_at,
         window_count = excluded.window_count, notifications = excluded.notifications, resolved_at = excluded.resolved_at,
         resolved_by = excluded.resolved_by`,
      i.id, i.dedupKey, i.type, i.scope, i.host, i.check, i.summary, i.status, i.firstSeen, i.lastSeen,
      i.alertCount, hosts, i.escalated ? 1 : 0, i.lastNotifiedAt, i.windowCount, i.notifications, i.resolvedAt, i.resolvedBy);
  }

  get(id: string): IncidentRecord | null {
    const row = this.#db.read(() => this.#db.get<IncidentRow>('SELECT * FROM incidents WHERE id = ?', id));
    return row === null ? null : toIncident(row);
  }

  /** The most recently seen active incident with this key (normally there is at most one). */
  findActive(dedupKey: string): IncidentRecord | null {
    const row = this.#db.read(() => this.#db.get<IncidentRow>(
      `SELECT * FROM incidents WHERE status = 'active' AND dedup_key = ? ORDER BY last_seen DESC, rowid DESC LIMIT 1`, dedupKey));
    return row === null ? null : toIncident(row);
  }

  /** Oldest first (by firstSeen). */
  list(filter: { status?: IncidentRecord['status']; limit?: number } = {}): IncidentRecord[] {
    const db = this.#db;
    const n = sqlLimit(filter.limit);
    const rows = db.read(() => filter.status === undefined
      ? db.all<IncidentRow>('SELECT * FROM incidents ORDER BY first_seen, rowid LIMIT ?', n)
      : db.all<IncidentRow>('SELECT * FROM incidents WHERE status = ? ORDER BY first_seen, rowid LIMIT ?', filter.status, n));
    return rows.map(toIncident);
  }

  pruneResolved(before: number): number {
    const db = this.#db;
    return db.write(`DELETE FROM incidents WHERE status = 'resolved' AND resolved_at < ?`, before);
  }
}
