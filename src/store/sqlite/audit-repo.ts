import type { AuditEntry, AuditFilter, AuditRepo, AuditTally } from '../../ports/store.ts';
import { sqlLimit } from './json-columns.ts';
import type { Params, SqliteDb } from './sqlite-db.ts';

interface AuditRow {
  seq: number;
  ts: number;
  direction: AuditEntry['direction'];
  status: string;
  msg_id: string | null;
  from_agent: string | null;
  to_agent: string | null;
  type: string | null;
  subject: string | null;
  correlation_id: string | null;
  conversation_id: string | null;
  signed: number;
  encrypted: number;
  detail: string | null;
}

function toEntry(r: AuditRow): AuditEntry & { seq: number } {
  return {
    seq: r.seq, ts: r.ts, direction: r.direction, status: r.status, id: r.msg_id, from: r.from_agent, to: r.to_agent,
    type: r.type, subject: r.subject, correlationId: r.correlation_id, conversationId: r.conversation_id,
    signed: r.signed !== 0, encrypted: r.encrypted !== 0, detail: r.detail,
  };
}

export class SqliteAuditRepo implements AuditRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  append(e: AuditEntry): number {
    const db = this.#db;
    return db.insert(
      `INSERT INTO audit (ts, direction, status, msg_id, from_agent, to_agent, type, subject, correlation_id,
         conversation_id, signed, encrypted, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      e.ts, e.direction, e.status, e.id, e.from, e.to, e.type, e.subject, e.correlationId, e.conversationId,
      e.signed ? 1 : 0, e.encrypted ? 1 : 0, e.detail);
  }

  /** Oldest first (by seq, the order of appends), or newest first; `limit` keeps the first matches in that order. */
  query(f: AuditFilter = {}): (AuditEntry & { seq: number })[] {
    const where: string[] = [];
    const params: Params = [];
    const eq = (column: string, v: string | undefined): void => {
      if (v !== undefined) { where.push(`${column} = ?`); params.push(v); }
    };
    if (f.agent !== undefined) { where.push('(from_agent = ? OR to_agent = ?)'); params.push(f.agent, f.agent); }
    eq('from_agent', f.from);
    eq('to_agent', f.to);
    eq('type', f.type);
    eq('status', f.status);
    eq('msg_id', f.id);
    eq('correlation_id', f.correlationId);
    eq('direction', f.direction);
    if (f.since !== undefined) { where.push('ts >= ?'); params.push(f.since); }
    if (f.until !== undefined) { where.push('ts <= ?'); params.push(f.until); }
    if (f.afterSeq !== undefined) { where.push('seq > ?'); params.push(f.afterSeq); }
    params.push(sqlLimit(f.limit));
    const sql = `SELECT * FROM audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${f.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`;
    return this.#db.read(() => this.#db.all<AuditRow>(sql, ...params)).map(toEntry);
  }

  tally(since?: number): AuditTally[] {
    const where = since === undefined ? '' : 'WHERE ts >= ?';
    const sql = `SELECT direction, status, count(*) AS count, sum(signed) AS signed, sum(encrypted) AS encrypted
                 FROM audit ${where} GROUP BY direction, status ORDER BY direction, status`;
    const rows = this.#db.read(() => this.#db.all<AuditTally>(sql, ...(since === undefined ? [] : [since])));
    return rows.map((r) => ({ direction: r.direction, status: r.status, count: Number(r.count), signed: Number(r.signed), encrypted: Number(r.encrypted) }));
  }

  prune(before: number): number {
    const db = this.#db;
    return db.write('DELETE FROM audit WHERE ts < ?', before);
  }
}
