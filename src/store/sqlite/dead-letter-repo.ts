import type { DeadLetter, DeadLetterRepo } from '../../ports/store.ts';
import { sqlLimit } from './json-columns.ts';
import type { SqliteDb } from './sqlite-db.ts';

interface DeadLetterRow {
  id: string;
  peer: string;
  type: string;
  envelope: string;
  session_key: string | null;
  reason: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
  expires_at: number;
  failed_at: number;
}

function toLetter(r: DeadLetterRow): DeadLetter {
  return {
    id: r.id, peer: r.peer, type: r.type, envelope: r.envelope, sessionKey: r.session_key, reason: r.reason,
    attempts: r.attempts, lastError: r.last_error, createdAt: r.created_at, expiresAt: r.expires_at, failedAt: r.failed_at,
  };
}

const UPSERT = `INSERT INTO dead_letters (id, peer, type, envelope, session_key, reason, attempts, last_error, created_at, expires_at, failed_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET peer = excluded.peer, type = excluded.type, envelope = excluded.envelope,
    session_key = excluded.session_key, reason = excluded.reason, attempts = excluded.attempts,
    last_error = excluded.last_error, created_at = excluded.created_at, expires_at = excluded.expires_at,
    failed_at = excluded.failed_at`;

export class SqliteDeadLetterRepo implements DeadLetterRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  moveFromOutbox(id: string, reason: string, now: number): boolean {
    const db = this.#db;
    return db.transaction(() => {
      const row = db.get<Omit<DeadLetterRow, 'reason' | 'failed_at'>>(
        `SELECT id, peer, type, envelope, session_key, attempts, last_error, created_at, expires_at
         FROM outbox WHERE id = ? AND state = 'pending'`, id);
      if (row === null) return false;
      db.run(UPSERT, row.id, row.peer, row.type, row.envelope, row.session_key, reason, row.attempts, row.last_error,
        row.created_at, row.expires_at, now);
      db.run('DELETE FROM outbox WHERE id = ?', id);
      return true;
    });
  }

  put(l: DeadLetter): void {
    const db = this.#db;
    db.write(UPSERT, l.id, l.peer, l.type, l.envelope, l.sessionKey, l.reason, l.attempts, l.lastError,
      l.createdAt, l.expiresAt, l.failedAt);
  }

  get(id: string): DeadLetter | null {
    const row = this.#db.read(() => this.#db.get<DeadLetterRow>('SELECT * FROM dead_letters WHERE id = ?', id));
    return row === null ? null : toLetter(row);
  }

  list(filter: { peer?: string; limit?: number } = {}): DeadLetter[] {
    const db = this.#db;
    const n = sqlLimit(filter.limit);
    const rows = db.read(() => filter.peer === undefined
      ? db.all<DeadLetterRow>('SELECT * FROM dead_letters ORDER BY failed_at, rowid LIMIT ?', n)
      : db.all<DeadLetterRow>('SELECT * FROM dead_letters WHERE peer = ? ORDER BY failed_at, rowid LIMIT ?', filter.peer, n));
    return rows.map(toLetter);
  }

  counts(): Record<string, number> {
    const db = this.#db;
    const rows = db.read(() => db.all<{ peer: string; n: number }>(
      'SELECT peer, COUNT(*) AS n FROM dead_letters GROUP BY peer ORDER BY peer'));
    return Object.fromEntries(rows.map((r) => [r.peer, r.n]));
  }

  requeue(id: string, now: number): boolean {
    const db = this.#db;
    return db.transaction(() => {
      const l = db.get<DeadLetterRow>('SELECT * FROM dead_letters WHERE id = ?', id);
      if (l === null) return false;
      // A stale outbox row with the same id (e.g. delivered, not yet pruned) is replaced: the dead letter wins.
      db.run('DELETE FROM outbox WHERE id = ?', id);
      db.run(
        `INSERT INTO outbox (id, peer, type, envelope, session_key, created_at, expires_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        l.id, l.peer, l.type, l.envelope, l.session_key, l.created_at, l.expires_at, now);
      db.run('DELETE FROM dead_letters WHERE id = ?', id);
      return true;
    });
  }

  remove(id: string): boolean {
    const db = this.#db;
    return db.write('DELETE FROM dead_letters WHERE id = ?', id) === 1;
  }

  purge(peer?: string): number {
    const db = this.#db;
    return db.transaction(() => peer === undefined
      ? db.run('DELETE FROM dead_letters')
      : db.run('DELETE FROM dead_letters WHERE peer = ?', peer));
  }

  purgeExpired(now: number): DeadLetter[] {
    const db = this.#db;
    return db.transaction(() => {
      const rows = db.all<DeadLetterRow>('SELECT * FROM dead_letters WHERE expires_at <= ? ORDER BY expires_at, failed_at, rowid', now);
      if (rows.length > 0) db.run('DELETE FROM dead_letters WHERE expires_at <= ?', now);
      return rows.map(toLetter);
    });
  }
}
