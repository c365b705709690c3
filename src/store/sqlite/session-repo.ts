import type { SessionMessage, SessionRecord, SessionRepo } from '../../ports/store.ts';
import { parseStringArray, sqlLimit, stringArrayText } from './json-columns.ts';
import type { SqliteDb } from './sqlite-db.ts';

interface SessionRow {
  key: string;
  status: SessionRecord['status'];
  participants: string;
  created_at: number;
  last_activity: number;
}

interface SessionMessageRow {
  session_key: string;
  from_agent: string;
  to_agent: string;
  type: string;
  subject: string;
  body: string;
  message_id: string | null;
  correlation_id: string | null;
  ts: number;
}

function toSession(r: SessionRow): SessionRecord {
  return {
    key: r.key, status: r.status, participants: parseStringArray(r.participants), createdAt: r.created_at,
    lastActivity: r.last_activity,
  };
}

function toMessage(r: SessionMessageRow): SessionMessage {
  return {
    sessionKey: r.session_key, from: r.from_agent, to: r.to_agent, type: r.type, subject: r.subject, body: r.body,
    messageId: r.message_id, correlationId: r.correlation_id, ts: r.ts,
  };
}

export class SqliteSessionRepo implements SessionRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  put(s: SessionRecord): void {
    const db = this.#db;
    const participants = stringArrayText(s.participants);
    db.write(
      `INSERT INTO sessions (key, status, participants, created_at, last_activity) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET status = excluded.status, participants = excluded.participants,
         created_at = excluded.created_at, last_activity = excluded.last_activity`,
      s.key, s.status, participants, s.createdAt, s.lastActivity);
  }

  get(key: string): SessionRecord | null {
    const row = this.#db.read(() => this.#db.get<SessionRow>('SELECT * FROM sessions WHERE key = ?', key));
    return row === null ? null : toSession(row);
  }

  list(filter: { status?: string } = {}): SessionRecord[] {
    const db = this.#db;
    const rows = db.read(() => filter.status === undefined
      ? db.all<SessionRow>('SELECT * FROM sessions ORDER BY created_at, rowid')
      : db.all<SessionRow>('SELECT * FROM sessions WHERE status = ? ORDER BY created_at, rowid', filter.status));
    return rows.map(toSession);
  }

  appendMessage(m: SessionMessage, keep: number): void {
    const db = this.#db;
    const k = Math.max(0, Math.floor(keep));
    db.transaction(() => {
      db.run(
        `INSERT INTO session_messages (session_key, from_agent, to_agent, type, subject, body, message_id, correlation_id, ts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        m.sessionKey, m.from, m.to, m.type, m.subject, m.body, m.messageId, m.correlationId, m.ts);
      // Everything at or below the (keep+1)-th newest id goes.
      db.run(
        `DELETE FROM session_messages WHERE session_key = ? AND id <= (
           SELECT id FROM session_messages WHERE session_key = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
        m.sessionKey, m.sessionKey, k);
    });
  }

  /** Chronological; with `limit`, the newest `limit` messages (the context a participant needs). */
  messages(key: string, limit?: number): SessionMessage[] {
    const db = this.#db;
    const rows = db.read(() => db.all<SessionMessageRow>(
      `SELECT * FROM (SELECT * FROM session_messages WHERE session_key = ? ORDER BY id DESC LIMIT ?) ORDER BY id`,
      key, sqlLimit(limit)));
    return rows.map(toMessage);
  }

  /** Removes the session and its messages; true when anything was there. */
  delete(key: string): boolean {
    const db = this.#db;
    return db.transaction(() => {
      const sessions = db.run('DELETE FROM sessions WHERE key = ?', key);
      const messages = db.run('DELETE FROM session_messages WHERE session_key = ?', key);
      return sessions + messages > 0;
    });
  }
}
