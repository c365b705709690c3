import type { NonceRepo } from '../../ports/store.ts';
import type { SqliteDb } from './sqlite-db.ts';

export class SqliteNonceRepo implements NonceRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  /** The primary key (sender, nonce) compares whole values, so a substring of a seen nonce is new. */
  checkAndRecord(sender: string, nonce: string, seenAt: number, expiresAt: number): boolean {
    const db = this.#db;
    return db.write(
      'INSERT INTO nonces (sender, nonce, seen_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (sender, nonce) DO NOTHING',
      sender, nonce, seenAt, expiresAt) === 1;
  }

  prune(now: number): number {
    const db = this.#db;
    return db.write('DELETE FROM nonces WHERE expires_at <= ?', now);
  }
}
