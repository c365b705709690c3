import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { TransactionOptions } from '../../ports/store.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { translateSqliteError } from './sqlite-errors.ts';

export type Row = Record<string, unknown>;
export type Params = SQLInputValue[];

/**
 * SQLite's `PRAGMA synchronous` for commits (WAL mode): `full` fsyncs the WAL in every durable
 * commit, so a commit that returned survives a power loss; `normal` and `off` commit without an
 * fsync (a commit survives a crash of the process, not of the machine).
 */
export type SyncMode = 'full' | 'normal' | 'off';

export type { TransactionOptions };

/**
 * One connection plus the transaction discipline every repo relies on:
 * - statements are prepared once per connection and reused (cached by SQL text);
 * - the outermost `transaction` is `BEGIN IMMEDIATE … COMMIT`, so the write lock is taken up front
 *   (waiting up to the busy timeout) and a read-then-write can never lose a race to another process;
 * - nested calls join the outer transaction through a SAVEPOINT, so an inner failure undoes only the
 *   inner work (the error still propagates) and the outer transaction stays usable;
 * - except when SQLite itself rolled the whole transaction back (it does on a full disk, SQLITE_FULL,
 *   and on some I/O errors): then the outer transaction is lost, and every later write or nested call
 *   inside it fails with the error that lost it, and so does the outer `transaction`. Otherwise the
 *   caller's later writes would run in autocommit mode, each committed on its own, while the work
 *   before the failure is silently gone: an acknowledged-but-not-stored message.
 * Errors leave as MeshError STORE_BUSY / STORE_FULL (with `path`) where they mean that.
 *
 * Durability: with `syncMode` 'full' every outer commit fsyncs the WAL before `transaction` returns,
 * unless the outer transaction was opened with `durable: false` (the outer transaction decides:
 * SQLite cannot change the setting inside one, so nested ones join its commit as it is). Writes that need no transaction of their own (`write`) join the current one without
 * a savepoint: one statement is atomic by itself, and a failed statement leaves the transaction as
 * it was, which is all a savepoint would add.
 */
export class SqliteDb {
  readonly raw: DatabaseSync;
  /** The database file (for error reports). */
  readonly path: string;
  readonly #statements = new Map<string, StatementSync>();
  readonly #syncMode: SyncMode;
  #depth = 0;
  #open = true;
  /** Why SQLite rolled back the current outer transaction, while its callback is still running. */
  #lost: unknown = null;
  /** Callbacks waiting for the outer transaction to commit (dropped if it, or their savepoint, rolls back). */
  #afterCommit: (() => void)[] = [];

  constructor(raw: DatabaseSync, path: string, syncMode: SyncMode = 'full') {
    this.raw = raw;
    this.path = path;
    this.#syncMode = syncMode;
  }

  get syncMode(): SyncMode {
    return this.#syncMode;
  }

  stmt(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (s === undefined) {
      s = this.raw.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  get<T>(sql: string, ...params: Params): T | null {
    return (this.stmt(sql).get(...params) as T | undefined) ?? null;
  }

  all<T>(sql: string, ...params: Params): T[] {
    return this.stmt(sql).all(...params) as T[];
  }

  /** Runs a write statement (inside the caller's transaction, or autocommit); returns the number of changed rows. */
  run(sql: string, ...params: Params): number {
    this.#assertNotLost();
    try {
      return Number(this.stmt(sql).run(...params).changes);
    } catch (e) {
      throw this.#failed(e);
    }
  }

  /** Reads outside a transaction; a lock that outlived the busy timeout becomes STORE_BUSY. */
  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw this.#translate(e);
    }
  }

  transaction<T>(fn: () => T, options?: TransactionOptions): T {
    return this.#depth === 0 ? this.#outer(fn, options?.durable !== false) : this.#nested(fn);
  }

  /**
   * One write statement, atomic on its own: inside a transaction it simply runs there (no savepoint:
   * see the class comment); outside one it is a transaction of its own (BEGIN IMMEDIATE … COMMIT).
   * Returns the number of changed rows.
   */
  write(sql: string, ...params: Params): number {
    return this.#depth === 0 ? this.#outer(() => this.run(sql, ...params), true) : this.run(sql, ...params);
  }

  /** Like `write`, returning the new row's rowid. */
  insert(sql: string, ...params: Params): number {
    const go = (): number => {
      this.#assertNotLost();
      try {
        return Number(this.stmt(sql).run(...params).lastInsertRowid);
      } catch (e) {
        throw this.#failed(e);
      }
    };
    return this.#depth === 0 ? this.#outer(go, true) : go();
  }

  /** Runs `fn` once the current transaction commits (at once outside one); never if it rolls back. */
  afterCommit(fn: () => void): void {
    if (this.#depth === 0) fn();
    else this.#afterCommit.push(fn);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#statements.clear();
    this.raw.close();
  }

  #outer<T>(fn: () => T, durable: boolean): T {
    // SQLite refuses to change the setting inside a transaction: a relaxed one is set up before BEGIN
    // and put back before anything else (an afterCommit callback's own transaction) can run.
    let relaxed = !durable && this.#syncMode === 'full';
    const restore = (): void => {
      if (!relaxed) return;
      relaxed = false;
      this.#restoreSync();
    };
    try {
      if (relaxed) this.stmt('PRAGMA synchronous = NORMAL').run();
      this.stmt('BEGIN IMMEDIATE').run();
    } catch (e) {
      restore();
      throw this.#translate(e);
    }
    this.#depth = 1;
    this.#lost = null;
    try {
      const result = fn();
      assertSynchronous(result);
      this.#assertNotLost();
      this.stmt('COMMIT').run();
      this.#depth = 0;
      restore();
      runAll(this.#afterCommit.splice(0));
      return result;
    } catch (e) {
      this.#afterCommit = [];
      // SQLite rolls back by itself after some errors (I/O, full disk); only roll back what is still open.
      if (this.raw.isTransaction) {
        try {
          this.stmt('ROLLBACK').run();
        } catch {
          // The original error is the one worth reporting.
        }
      }
      throw this.#translate(e);
    } finally {
      this.#depth = 0;
      this.#lost = null;
      restore();
    }
  }

  #nested<T>(fn: () => T): T {
    this.#assertNotLost();
    this.stmt('SAVEPOINT mesh_nested').run();
    this.#depth += 1;
    const pending = this.#afterCommit.length;
    try {
      const result = fn();
      assertSynchronous(result);
      this.stmt('RELEASE mesh_nested').run();
      return result;
    } catch (e) {
      const error = this.#translate(e);
      this.#afterCommit.length = pending;
      if (this.raw.isTransaction) {
        try {
          this.stmt('ROLLBACK TO mesh_nested').run();
          this.stmt('RELEASE mesh_nested').run();
        } catch {
          // The original error is the one worth reporting.
        }
      } else {
        this.#lost ??= error;
      }
      throw error;
    } finally {
      this.#depth -= 1;
    }
  }

  #restoreSync(): void {
    try {
      this.stmt('PRAGMA synchronous = FULL').run();
    } catch {
      // Cannot fail outside a transaction; if it ever did, the next relaxed transaction resets it.
    }
  }

  /** Inside a transaction that SQLite already rolled back, nothing may run (see the class comment). */
  #assertNotLost(): void {
    if (this.#depth === 0 || this.raw.isTransaction) return;
    throw this.#lost ?? new MeshError(MeshErrorCode.StoreFailed, `SQLite rolled back the transaction on ${this.path}`);
  }

  /** A failed statement's error; if SQLite rolled back the whole transaction with it, later writes fail with it too. */
  #failed(e: unknown): unknown {
    const error = this.#translate(e);
    if (this.#depth > 0 && !this.raw.isTransaction) this.#lost ??= error;
    return error;
  }

  #translate(e: unknown): unknown {
    return translateSqliteError(e, this.path);
  }
}

/** A Promise would let the transaction commit before the awaited work ran: refuse it loudly. */
export function assertSynchronous(result: unknown): void {
  if (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function') {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'store transactions are synchronous: the callback must not return a Promise');
  }
}

/** Runs every callback; one that throws does not stop the others (they are notifications). */
export function runAll(callbacks: readonly (() => void)[]): void {
  for (const fn of callbacks) {
    try {
      fn();
    } catch {
      // A listener's failure is its own; the transaction has committed.
    }
  }
}
