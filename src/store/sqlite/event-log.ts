import type { JsonValue } from '../../protocol/json.ts';
import type { EventLog, MeshEventRecord } from '../../ports/store.ts';
import { jsonText, parseJsonText, sqlLimit } from './json-columns.ts';
import type { SqliteDb } from './sqlite-db.ts';

/**
 * `seq` is an AUTOINCREMENT key: never reused after a prune, and, because the counter lives in the
 * same transaction as the row, a rolled-back append leaves no gap.
 */
export class SqliteEventLog implements EventLog {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  append(type: string, data: JsonValue, ts: number): number {
    const db = this.#db;
    const text = jsonText(data);
    return db.insert('INSERT INTO events (ts, type, data) VALUES (?, ?, ?)', ts, type, text);
  }

  after(afterSeq: number, limit?: number): MeshEventRecord[] {
    const db = this.#db;
    const rows = db.read(() => db.all<{ seq: number; ts: number; type: string; data: string }>(
      'SELECT seq, ts, type, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, sqlLimit(limit)));
    return rows.map((r) => ({ seq: r.seq, ts: r.ts, type: r.type, data: parseJsonText(r.data) }));
  }

  /** The last seq ever assigned (still correct after every event was pruned), 0 when none. */
  latestSeq(): number {
    const db = this.#db;
    const row = db.read(() => db.get<{ seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`));
    return row?.seq ?? 0;
  }

  prune(before: number): number {
    const db = this.#db;
    return db.write('DELETE FROM events WHERE ts < ?', before);
  }
}
