import type { NewOutboxMessage, OutboxMessage, OutboxRepo, OutboxState, PeerDue } from '../../ports/store.ts';
import { sqlLimit } from './json-columns.ts';
import type { SqliteDb } from './sqlite-db.ts';

interface OutboxRow {
  id: string;
  peer: string;
  type: string;
  envelope: string;
  session_key: string | null;
  created_at: number;
  expires_at: number;
  next_attempt_at: number;
  attempts: number;
  last_error: string | null;
  lease_until: number;
  state: OutboxState;
  delivered_at: number | null;
}

function toMessage(r: OutboxRow): OutboxMessage {
  return {
    id: r.id, peer: r.peer, type: r.type, envelope: r.envelope, sessionKey: r.session_key,
    createdAt: r.created_at, expiresAt: r.expires_at, nextAttemptAt: r.next_attempt_at,
    state: r.state, attempts: r.attempts, lastError: r.last_error, leaseUntil: r.lease_until,
    deliveredAt: r.delivered_at,
  };
}

// Every query on pending rows repeats `state = 'pending'` literally so the partial indexes apply.
const DUE = `SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? AND expires_at > ? AND lease_until <= ?
  ORDER BY next_attempt_at, created_at, rowid LIMIT ?`;
const DUE_PEER = `SELECT * FROM outbox WHERE state = 'pending' AND peer = ? AND next_attempt_at <= ? AND expires_at > ? AND lease_until <= ?
  ORDER BY next_attempt_at, created_at, rowid LIMIT ?`;
const LEASE = 'UPDATE outbox SET lease_until = ? WHERE id = ?';
// Walks the distinct peers through the (peer, next_attempt_at) index instead of grouping every
// pending row: O(peers × log n), which matters with 100k messages queued for one dead peer.
const DUE_PER_PEER = `WITH RECURSIVE p(peer) AS (
    SELECT (SELECT MIN(peer) FROM outbox WHERE state = 'pending')
    UNION ALL
    SELECT (SELECT MIN(peer) FROM outbox WHERE state = 'pending' AND peer > p.peer) FROM p WHERE p.peer IS NOT NULL
  )
  SELECT peer, (SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending' AND peer = p.peer) AS t
  FROM p WHERE peer IS NOT NULL ORDER BY peer`;

export class SqliteOutboxRepo implements OutboxRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  enqueue(m: NewOutboxMessage): boolean {
    const db = this.#db;
    return db.write(
      `INSERT INTO outbox (id, peer, type, envelope, session_key, created_at, expires_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      m.id, m.peer, m.type, m.envelope, m.sessionKey, m.createdAt, m.expiresAt, m.nextAttemptAt,
    ) === 1;
  }

  get(id: string): OutboxMessage | null {
    const row = this.#db.read(() => this.#db.get<OutboxRow>('SELECT * FROM outbox WHERE id = ?', id));
    return row === null ? null : toMessage(row);
  }

  claimDue(now: number, limit: number, leaseMs: number, peer?: string): OutboxMessage[] {
    const db = this.#db;
    const n = sqlLimit(limit);
    if (n === 0) return [];
    return db.transaction(() => {
      const rows = peer === undefined
        ? db.all<OutboxRow>(DUE, now, now, now, n)
        : db.all<OutboxRow>(DUE_PEER, peer, now, now, now, n);
      const until = now + leaseMs;
      for (const r of rows) db.run(LEASE, until, r.id);
      return rows.map((r) => toMessage({ ...r, lease_until: until }));
    });
  }

  claim(id: string, now: number, leaseMs: number): OutboxMessage | null {
    const db = this.#db;
    return db.transaction(() => {
      const row = db.get<OutboxRow>(
        `SELECT * FROM outbox WHERE id = ? AND state = 'pending' AND lease_until <= ? AND expires_at > ?`, id, now, now);
      if (row === null) return null;
      const until = now + leaseMs;
      db.run(LEASE, until, id);
      return toMessage({ ...row, lease_until: until });
    });
  }

  markDelivered(id: string, now: number): void {
    const db = this.#db;
    db.write(
      `UPDATE outbox SET state = 'delivered', delivered_at = ?, lease_until = 0 WHERE id = ? AND state = 'pending'`, now, id);
  }

  recordFailure(id: string, error: string, nextAttemptAt: number): void {
    const db = this.#db;
    db.write(
      `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_until = 0
       WHERE id = ? AND state = 'pending'`, error, nextAttemptAt, id);
  }

  release(id: string, nextAttemptAt: number): void {
    const db = this.#db;
    db.write(
      `UPDATE outbox SET next_attempt_at = ?, lease_until = 0 WHERE id = ? AND state = 'pending'`, nextAttemptAt, id);
  }

  listPending(peer?: string, limit?: number): OutboxMessage[] {
    const db = this.#db;
    const n = sqlLimit(limit);
    const rows = db.read(() => peer === undefined
      ? db.all<OutboxRow>(`SELECT * FROM outbox WHERE state = 'pending' ORDER BY created_at, rowid LIMIT ?`, n)
      : db.all<OutboxRow>(`SELECT * FROM outbox WHERE state = 'pending' AND peer = ? ORDER BY created_at, rowid LIMIT ?`, peer, n));
    return rows.map(toMessage);
  }

  pendingCounts(): Record<string, number> {
    const db = this.#db;
    const rows = db.read(() => db.all<{ peer: string; n: number }>(
      `SELECT peer, COUNT(*) AS n FROM outbox WHERE state = 'pending' GROUP BY peer ORDER BY peer`));
    // fromEntries defines own properties, so a peer called "__proto__" is counted, not a prototype swap.
    return Object.fromEntries(rows.map((r) => [r.peer, r.n]));
  }

  duePerPeer(): PeerDue[] {
    const db = this.#db;
    return db.read(() => db.all<{ peer: string; t: number }>(DUE_PER_PEER)).map((r) => ({ peer: r.peer, nextDueAt: r.t }));
  }

  purgePending(peer?: string): number {
    const db = this.#db;
    return db.transaction(() => peer === undefined
      ? db.run(`DELETE FROM outbox WHERE state = 'pending'`)
      : db.run(`DELETE FROM outbox WHERE state = 'pending' AND peer = ?`, peer));
  }

  withdraw(id: string, now: number): OutboxMessage | null {
    const db = this.#db;
    return db.transaction(() => {
      const row = db.get<OutboxRow>(`SELECT * FROM outbox WHERE id = ? AND state = 'pending' AND lease_until <= ?`, id, now);
      if (row === null) return null;
      db.run(`DELETE FROM outbox WHERE id = ?`, id);
      return toMessage(row);
    });
  }

  /** Oldest expiry first: sorting on the indexed column keeps this cheap behind a large backlog. */
  purgeExpired(now: number, ownLeaseId?: string): OutboxMessage[] {
    const db = this.#db;
    const own = ownLeaseId ?? null;
    return db.transaction(() => {
      const rows = db.all<OutboxRow>(
        `SELECT * FROM outbox WHERE state = 'pending' AND expires_at <= ? AND (lease_until <= ? OR id = ?)
         ORDER BY expires_at, created_at, rowid`, now, now, own);
      if (rows.length > 0) db.run(`DELETE FROM outbox WHERE state = 'pending' AND expires_at <= ? AND (lease_until <= ? OR id = ?)`, now, now, own);
      return rows.map(toMessage);
    });
  }

  pruneDelivered(before: number): number {
    const db = this.#db;
    return db.write(`DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?`, before);
  }
}
