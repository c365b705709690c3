import type { JsonValue } from '../../protocol/json.ts';
import type { KeyValueRepo } from '../../ports/store.ts';
import { jsonText, parseJsonText } from './json-columns.ts';
import type { SqliteDb } from './sqlite-db.ts';

export class SqliteKeyValueRepo implements KeyValueRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  get(key: string): JsonValue | null {
    const row = this.#db.read(() => this.#db.get<{ value: string }>('SELECT value FROM kv WHERE key = ?', key));
    return row === null ? null : parseJsonText(row.value);
  }

  set(key: string, value: JsonValue, now: number): void {
    const db = this.#db;
    const text = jsonText(value);
    db.write(
      `INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, text, now);
  }

  delete(key: string): boolean {
    const db = this.#db;
    return db.write('DELETE FROM kv WHERE key = ?', key) === 1;
  }
}
