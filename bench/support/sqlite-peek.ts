/** Read-only looks into a node's SQLite file while its daemon runs (WAL lets readers in). */
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';

export class Peek {
  readonly #db: DatabaseSync;
  constructor(home: string) {
    this.#db = new DatabaseSync(join(home, 'data', 'mesh.db'), { readOnly: true, timeout: 5_000 });
  }
  count(sql: string, ...params: (string | number)[]): number {
    const r = this.#db.prepare(sql).get(...params) as { n?: number } | undefined;
    return Number(r?.n ?? 0);
  }
  all<T>(sql: string, ...params: (string | number)[]): T[] {
    return this.#db.prepare(sql).all(...params) as T[];
  }
  close(): void {
    this.#db.close();
  }
}
