import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { translateSqliteError } from './sqlite-errors.ts';

export type Row = Record<string, unknown>;
export type Params = SQLInputValue[];

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
 */
export class SqliteDb {
  readonly raw: DatabaseSync;
  /** The database file (for error reports). */
  readonly path: string;
  readonly #statements = new Map<string, StatementSync>();
  #depth = 0;
  #open = true;
  /** Why SQLite rolled back the current outer transaction, while its callback is still running. */
  #lost: unknown = null;
  /** Callbacks waiting for the outer transaction to commit (dropped if it, or their savepoint, rolls back). */
  #afterCommit: (() => void)[] = [];

  constructor(raw: DatabaseSync, path: string) {
    this.raw = raw;
    this.path = path;
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

  /** Runs a write statement; returns the number of changed rows. */
  run(sql: string, ...params: Params): number {
    this.#assertNotLost();
    try {
      return Number(this.stmt(sql).run(...params).changes);
    } catch (e) {
      throw this.#translate(e);
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

  transaction<T>(fn: () => T): T {
    return this.#depth === 0 ? this.#outer(fn) : this.#nested(fn);
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

  #outer<T>(fn: () => T): T {
    try {
      this.stmt('BEGIN IMMEDIATE').run();
    } catch (e) {
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

  /** Inside a transaction that SQLite already rolled back, nothing may run (see the class comment). */
  #assertNotLost(): void {
    if (this.#depth === 0 || this.raw.isTransaction) return;
    throw this.#lost ?? new MeshError(MeshErrorCode.StoreFailed, `SQLite rolled back the transaction on ${this.path}`);
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
