import type { AlertDecision } from '../../protocol/alerts.ts';
import type { InboxDeliveryState, InboxFilter, InboxMessage, InboxRepo, NewInboxMessage } from '../../ports/store.ts';
import { sqlLimit } from './json-columns.ts';
import type { Params, SqliteDb } from './sqlite-db.ts';

interface InboxRow {
  id: string;
  from_agent: string;
  to_agent: string;
  type: string;
  correlation_id: string | null;
  conversation_id: string | null;
  idempotency_key: string | null;
  subject: string;
  envelope: string;
  body: string;
  sealed_attachments: string | null;
  auth: string;
  received_at: number;
  read_at: number | null;
  delivery_state: InboxDeliveryState;
  delivery_attempts: number;
  delivery_error: string | null;
  next_delivery_at: number;
  lease_until: number;
  alert_decision: AlertDecision | null;
  incident_id: string | null;
}

function toMessage(r: InboxRow): InboxMessage {
  return {
    id: r.id, from: r.from_agent, to: r.to_agent, type: r.type, correlationId: r.correlation_id,
    conversationId: r.conversation_id, idempotencyKey: r.idempotency_key, subject: r.subject,
    envelope: r.envelope, body: r.body, sealedAttachments: r.sealed_attachments, auth: r.auth, receivedAt: r.received_at, readAt: r.read_at,
    deliveryState: r.delivery_state, deliveryAttempts: r.delivery_attempts, deliveryError: r.delivery_error,
    nextDeliveryAt: r.next_delivery_at, leaseUntil: r.lease_until, alertDecision: r.alert_decision, incidentId: r.incident_id,
  };
}

const COLUMNS = `id, from_agent, to_agent, type, correlation_id, conversation_id, idempotency_key, subject, envelope,
  body, sealed_attachments, auth, received_at, read_at, delivery_state, delivery_attempts, delivery_error, next_delivery_at, lease_until,
  alert_decision, incident_id`;

export class SqliteInboxRepo implements InboxRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  insert(m: NewInboxMessage): { inserted: true } | { inserted: false; existingId: string } {
    const db = this.#db;
    return db.transaction(() => {
      if (db.get('SELECT 1 FROM inbox WHERE id = ?', m.id) !== null) return { inserted: false, existingId: m.id };
      if (m.idempotencyKey !== null) {
        const dup = db.get<{ id: string }>(
          'SELECT id FROM inbox WHERE from_agent = ? AND idempotency_key = ?', m.from, m.idempotencyKey);
        if (dup !== null) return { inserted: false, existingId: dup.id };
      }
      db.run(
        `INSERT INTO inbox (id, from_agent, to_agent, type, correlation_id, conversation_id, idempotency_key, subject,
           envelope, body, sealed_attachments, auth, received_at, delivery_state, next_delivery_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        m.id, m.from, m.to, m.type, m.correlationId, m.conversationId, m.idempotencyKey, m.subject,
        m.envelope, m.body, m.sealedAttachments ?? null, m.auth, m.receivedAt, m.deliveryState, m.nextDeliveryAt);
      return { inserted: true };
    });
  }

  get(id: string): InboxMessage | null {
    const row = this.#db.read(() => this.#db.get<InboxRow>(`SELECT ${COLUMNS} FROM inbox WHERE id = ?`, id));
    return row === null ? null : toMessage(row);
  }

  findByCorrelation(correlationId: string): InboxMessage[] {
    const db = this.#db;
    return db.read(() => db.all<InboxRow>(
      `SELECT ${COLUMNS} FROM inbox WHERE correlation_id = ? ORDER BY received_at, rowid`, correlationId)).map(toMessage);
  }

  list(filter: InboxFilter = {}): InboxMessage[] {
    const where: string[] = [];
    const params: Params = [];
    if (filter.unread === true) where.push('read_at IS NULL');
    if (filter.unread === false) where.push('read_at IS NOT NULL');
    if (filter.from !== undefined) { where.push('from_agent = ?'); params.push(filter.from); }
    if (filter.type !== undefined) { where.push('type = ?'); params.push(filter.type); }
    if (filter.since !== undefined) { where.push('received_at >= ?'); params.push(filter.since); }
    if (filter.after !== undefined) {
      // No such row: the comparison is NULL and nothing is listed.
      where.push('(received_at, rowid) > (SELECT received_at, rowid FROM inbox WHERE id = ?)');
      params.push(filter.after);
    }
    params.push(sqlLimit(filter.limit));
    const sql = `SELECT ${COLUMNS} FROM inbox ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY received_at, rowid LIMIT ?`;
    return this.#db.read(() => this.#db.all<InboxRow>(sql, ...params)).map(toMessage);
  }

  markRead(ids: readonly string[], now: number): number {
    const db = this.#db;
    return db.transaction(() => {
      let n = 0;
      for (const id of new Set(ids)) n += db.run('UPDATE inbox SET read_at = ? WHERE id = ? AND read_at IS NULL', now, id);
      return n;
    });
  }

  claimForDelivery(now: number, limit: number, leaseMs: number): InboxMessage[] {
    const db = this.#db;
    const n = sqlLimit(limit);
    if (n === 0) return [];
    return db.transaction(() => {
      const rows = db.all<InboxRow>(
        `SELECT ${COLUMNS} FROM inbox WHERE delivery_state = 'pending' AND next_delivery_at <= ? AND lease_until <= ?
         ORDER BY received_at, rowid LIMIT ?`, now, now, n);
      const until = now + leaseMs;
      for (const r of rows) db.run('UPDATE inbox SET lease_until = ? WHERE id = ?', until, r.id);
      return rows.map((r) => toMessage({ ...r, lease_until: until }));
    });
  }

  markHandedOff(id: string, now: number): void {
    const db = this.#db;
    db.write(
      `UPDATE inbox SET delivery_state = 'delivered', handed_off_at = ?, lease_until = 0, delivery_error = NULL WHERE id = ?`,
      now, id);
  }

  recordDeliveryFailure(id: string, error: string, nextDeliveryAt: number, permanent: boolean): void {
    const db = this.#db;
    db.write(
      `UPDATE inbox SET delivery_attempts = delivery_attempts + 1, delivery_error = ?, next_delivery_at = ?, lease_until = 0,
         delivery_state = ? WHERE id = ? AND delivery_state = 'pending'`,
      error, nextDeliveryAt, permanent ? 'failed' : 'pending', id);
  }

  retryDelivery(id: string, now: number): boolean {
    const db = this.#db;
    return db.write(
      `UPDATE inbox SET delivery_state = 'pending', delivery_attempts = 0, next_delivery_at = ?, lease_until = 0
         WHERE id = ? AND delivery_state = 'failed'`,
      now, id) > 0;
  }

  withdraw(id: string, now: number, reason: string): boolean {
    const db = this.#db;
    return db.transaction(() => db.run(
      `UPDATE inbox SET delivery_state = 'failed', delivery_error = ?, lease_until = 0
         WHERE id = ? AND delivery_state = 'pending' AND lease_until <= ?`, reason, id, now) > 0
      || db.run(`UPDATE inbox SET read_at = ? WHERE id = ? AND delivery_state = 'none' AND read_at IS NULL`, now, id) > 0);
  }

  setAlertTriage(id: string, decision: AlertDecision, incidentId: string | null): boolean {
    const db = this.#db;
    return db.write(
      'UPDATE inbox SET alert_decision = ?, incident_id = ? WHERE id = ? AND alert_decision IS NULL', decision, incidentId, id) > 0;
  }

  prune(before: number): number {
    const db = this.#db;
    return db.write('DELETE FROM inbox WHERE received_at < ?', before);
  }
}
