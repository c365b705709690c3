/**
 * A lock held for the life of a process, on a small SQLite file next to the database. SQLite takes
 * it with an fcntl() lock that the kernel drops when the holder exits in any way (kill -9 included),
 * so there is no stale lock to clean up and no pid to guess about; taking it is atomic. The holder's
 * pid and start time are committed in the file before the lock is held for good, so a process that is
 * refused can say who holds it (readers are not blocked by the holder's RESERVED lock).
 */
import { DatabaseSync } from 'node:sqlite';
import { isSqliteBusy } from './sqlite-errors.ts';

export interface LockHolder {
  pid: number;
  startedAt: number;
}

export interface HeldLock {
  /** Drops the lock (idempotent). Exiting the process drops it too. */
  release(): void;
}

export type LockAttempt = { held: HeldLock } | { heldBy: LockHolder | null };

const SCHEMA = 'CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, started_at INTEGER NOT NULL)';

/** Takes the lock at `path` (created if missing) for `me`, or reports who holds it. Never waits. */
export function tryHoldLock(path: string, me: LockHolder): LockAttempt {
  const db = new DatabaseSync(path, { timeout: 0 });
  try {
    // Rollback journal: a reader only needs a SHARED lock, which the holder's RESERVED lock allows.
    db.exec('PRAGMA journal_mode = DELETE');
    db.exec('BEGIN IMMEDIATE');
    db.exec(SCHEMA);
    db.exec('DELETE FROM holder');
    db.prepare('INSERT INTO holder (pid, started_at) VALUES (?, ?)').run(me.pid, me.startedAt);
    db.exec('COMMIT');
    // Hold the write lock from now on. Someone who slipped in since the COMMIT holds it instead.
    db.exec('BEGIN IMMEDIATE');
  } catch (e) {
    if (!isSqliteBusy(e)) {
      db.close();
      throw e;
    }
    const heldBy = readHolder(db);
    db.close();
    return { heldBy };
  }
  let open = true;
  return {
    held: {
      release() {
        if (!open) return;
        open = false;
        db.close();
      },
    },
  };
}

function readHolder(db: DatabaseSync): LockHolder | null {
  try {
    if (db.isTransaction) db.exec('ROLLBACK');
    const row = db.prepare('SELECT pid, started_at FROM holder LIMIT 1').get() as { pid: number; started_at: number } | undefined;
    return row === undefined ? null : { pid: Number(row.pid), startedAt: Number(row.started_at) };
  } catch {
    return null; // the holder had not committed its row yet
  }
}
