import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MeshError, MeshErrorCode, isMeshError } from '../../protocol/errors.ts';
import type { Store } from '../../ports/store.ts';
import { SqliteAuditRepo } from './audit-repo.ts';
import { SqliteBreakerRepo } from './breaker-repo.ts';
import { SqliteConversationRepo } from './conversation-repo.ts';
import { SqliteDeadLetterRepo } from './dead-letter-repo.ts';
import { SqliteEventLog } from './event-log.ts';
import { SqliteInboxRepo } from './inbox-repo.ts';
import { SqliteIncidentRepo } from './incident-repo.ts';
import { SqliteKeyValueRepo } from './kv-repo.ts';
import { SqliteA2ATaskRepo } from './a2a-task-repo.ts';
import { migrate } from './migrate.ts';
import { openReadOnlyDb } from './open-read-only.ts';
import { SqliteNonceRepo } from './nonce-repo.ts';
import { SqliteOutboxRepo } from './outbox-repo.ts';
import { SqlitePeerHealthRepo } from './peer-health-repo.ts';
import { SqliteSessionRepo } from './session-repo.ts';
import { SqliteDb, type SyncMode } from './sqlite-db.ts';
import { isSqliteBusy, translateSqliteError } from './sqlite-errors.ts';

/**
 * How long a writer waits for another process's write lock before STORE_BUSY. Every durable commit
 * holds the lock across an fsync (milliseconds on a quiet disk, far more on a loaded machine), and
 * SQLite's waiting is not fair: with a daemon and several CLI commands writing at once, one of them
 * can wait several seconds for its turn. A CLI command that waits is better than one that fails.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 30_000;

export interface SqliteStoreOptions {
  /** How long a statement waits for another process's lock before STORE_BUSY. */
  readonly busyTimeoutMs?: number;
  /**
   * Caps the database at this many pages (PRAGMA max_page_count, per connection): a write that needs
   * more fails exactly as on a full disk (SQLITE_FULL → STORE_FULL). Unset: SQLite's own limit.
   */
  readonly maxPageCount?: number;
  /**
   * Open an existing database read-only (see open-read-only.ts): nothing is created, configured or
   * migrated, and every write fails. SCHEMA_TOO_OLD when the schema would need an upgrade.
   */
  readonly readOnly?: boolean;
  /**
   * PRAGMA synchronous (default 'full'): with 'full' a commit that returned is on disk and survives
   * a power loss; 'normal' and 'off' only survive a crash of the process (see README "Delivery
   * guarantees"). Transactions opened with `durable: false` skip the fsync under 'full' too.
   */
  readonly synchronous?: SyncMode;
}

export const DEFAULT_SYNC_MODE: SyncMode = 'full';
/**
 * The commit that takes the WAL past this many pages copies them into the database file (and
 * fsyncs it) before it returns. SQLite's default, 1,000 pages (4 MB), made that copy about half of
 * a commit's cost per message on a receiver storing batches (hot index and table pages were copied
 * again and again); 4,000 (16 MB of WAL at most, between checkpoints) copies each of them once per
 * four times as many messages. Measured with the receiver's write pattern, 64 messages a commit:
 * 141 → 90 µs per message for the commit.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 4_000;
const SYNC_PRAGMA: Record<SyncMode, string> = { full: 'FULL', normal: 'NORMAL', off: 'OFF' };

/**
 * Opens (creating if needed, mode 600) the node's database and brings its schema up to date, or with
 * `readOnly` opens an existing one for reading only. Safe to call from many processes at once. Throws
 * MeshError SCHEMA_TOO_NEW when the file was written by a newer MESH, SCHEMA_TOO_OLD (read-only only)
 * when it needs an upgrade, STORE_BUSY when the lock could not be had, STORE_FAILED otherwise.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  }
  const sync = options.synchronous ?? DEFAULT_SYNC_MODE;
  if (!Object.hasOwn(SYNC_PRAGMA, sync)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `synchronous must be one of ${Object.keys(SYNC_PRAGMA).join(', ')}`);
  }
  return storeOver(options.readOnly === true ? openForReading(path, busyTimeoutMs) : openForWriting(path, busyTimeoutMs, options.maxPageCount, sync));
}

function openForReading(path: string, busyTimeoutMs: number): SqliteDb {
  try {
    return openReadOnlyDb(path, busyTimeoutMs);
  } catch (e) {
    throw storeFailed(path, e);
  }
}

function openForWriting(path: string, busyTimeoutMs: number, maxPageCount: number | undefined, sync: SyncMode): SqliteDb {
  if (path !== ':memory:') createPrivateFile(path);
  let raw: DatabaseSync;
  try {
    raw = new DatabaseSync(path, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true });
  } catch (e) {
    throw storeFailed(path, e);
  }
  const db = new SqliteDb(raw, path, sync);
  try {
    configure(db, busyTimeoutMs, sync);
    migrate(db, path);
    if (maxPageCount !== undefined) capPages(db, maxPageCount);
  } catch (e) {
    db.close();
    throw storeFailed(path, e);
  }
  return db;
}

function storeOver(db: SqliteDb): Store {
  return {
    outbox: new SqliteOutboxRepo(db),
    deadLetters: new SqliteDeadLetterRepo(db),
    inbox: new SqliteInboxRepo(db),
    nonces: new SqliteNonceRepo(db),
    audit: new SqliteAuditRepo(db),
    breakers: new SqliteBreakerRepo(db),
    peers: new SqlitePeerHealthRepo(db),
    kv: new SqliteKeyValueRepo(db),
    a2aTasks: new SqliteA2ATaskRepo(db),
    conversations: new SqliteConversationRepo(db),
    incidents: new SqliteIncidentRepo(db),
    sessions: new SqliteSessionRepo(db),
    events: new SqliteEventLog(db),
    transaction: (fn, options) => db.transaction(fn, options),
    afterCommit: (fn) => db.afterCommit(fn),
    close: () => db.close(),
  };
}

/** The database holds message bodies: create it owner-only. SQLite gives -wal/-shm the same mode. */
function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw storeFailed(path, e);
  }
}

function configure(db: SqliteDb, busyTimeoutMs: number, sync: SyncMode): void {
  // Switching a fresh file to WAL needs a moment of exclusive access; when several processes open
  // the same new file at once, one may be refused without the busy handler being consulted.
  const deadline = Date.now() + busyTimeoutMs;
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 50)) {
    try {
      db.raw.exec('PRAGMA journal_mode = WAL');
      break;
    } catch (e) {
      if (!isSqliteBusy(e) || Date.now() >= deadline) throw e;
      sleepSync(delayMs);
    }
  }
  // WAL + FULL: every durable commit fsyncs the WAL before it returns (see SqliteStoreOptions.synchronous).
  db.raw.exec(`PRAGMA synchronous = ${SYNC_PRAGMA[sync]}`);
  db.raw.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.raw.exec('PRAGMA foreign_keys = ON');
  db.raw.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
}

function capPages(db: SqliteDb, maxPageCount: number): void {
  if (!Number.isSafeInteger(maxPageCount) || maxPageCount < 1) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `maxPageCount must be a positive integer, got ${maxPageCount}`);
  }
  db.raw.exec(`PRAGMA max_page_count = ${maxPageCount}`);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function storeFailed(path: string, e: unknown): MeshError {
  const translated = translateSqliteError(e, path);
  if (isMeshError(translated)) return translated;
  const reason = e instanceof Error ? e.message : String(e);
  return new MeshError(MeshErrorCode.StoreFailed, `cannot open the MESH database ${path}: ${reason}${notWritable(path)}`, { cause: e });
}

/** SQLite's "unable to open database file" does not say why; a read-only file or folder is the usual reason. */
function notWritable(path: string): string {
  if (path === ':memory:') return '';
  for (const p of [path, dirname(path)]) {
    try {
      accessSync(p, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return ` (${p} is not writable: ${code})`;
    }
  }
  return '';
}
