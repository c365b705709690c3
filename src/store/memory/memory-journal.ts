import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { toPlain } from '../../protocol/json.ts';
import type { JsonValue } from '../../protocol/json.ts';

/** Something whose state a transaction can put back: `snapshot()` returns the restorer. */
export interface Snapshottable {
  snapshot(): () => void;
}

/**
 * Undo support for the in-memory store. Each (possibly nested) transaction is a frame; the first
 * write to a table inside a frame snapshots that table (a shallow copy: rows are replaced, never
 * mutated). A throw restores the frame's tables; a commit hands its snapshots to the parent frame,
 * so the outer transaction can still undo everything.
 */
export class Journal {
  readonly #frames: Map<Snapshottable, () => void>[] = [];
  /** Callbacks waiting for the outermost frame to commit (dropped if it, or their frame, throws). */
  #afterCommit: (() => void)[] = [];

  /** Runs `fn` once the current transaction commits (at once outside one); never if it rolls back. */
  afterCommit(fn: () => void): void {
    if (this.#frames.length === 0) fn();
    else this.#afterCommit.push(fn);
  }

  touch(t: Snapshottable): void {
    const frame = this.#frames.at(-1);
    if (frame !== undefined && !frame.has(t)) frame.set(t, t.snapshot());
  }

  run<T>(fn: () => T): T {
    const frame = new Map<Snapshottable, () => void>();
    this.#frames.push(frame);
    const pending = this.#afterCommit.length;
    let result: T;
    try {
      result = fn();
      assertSynchronous(result);
    } catch (e) {
      this.#frames.pop();
      for (const restore of frame.values()) restore();
      this.#afterCommit.length = pending;
      throw e;
    }
    this.#frames.pop();
    const parent = this.#frames.at(-1);
    if (parent !== undefined) {
      for (const [t, restore] of frame) if (!parent.has(t)) parent.set(t, restore);
    } else {
      for (const notify of this.#afterCommit.splice(0)) {
        try {
          notify();
        } catch {
          // A listener's failure is its own; the transaction has committed.
        }
      }
    }
    return result;
  }
}

/** Rows keyed by string, iterated in insertion order (a replaced row keeps its place, like a rowid). */
export class MemTable<V> implements Snapshottable {
  readonly #journal: Journal;
  #rows = new Map<string, V>();

  constructor(journal: Journal) {
    this.#journal = journal;
  }

  get(key: string): V | undefined {
    return this.#rows.get(key);
  }

  has(key: string): boolean {
    return this.#rows.has(key);
  }

  set(key: string, value: V): void {
    this.#journal.touch(this);
    this.#rows.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.#rows.has(key)) return false;
    this.#journal.touch(this);
    return this.#rows.delete(key);
  }

  values(): V[] {
    return [...this.#rows.values()];
  }

  snapshot(): () => void {
    const copy = new Map(this.#rows);
    return () => {
      this.#rows = copy;
    };
  }
}

/** A sequence that is never reused (like AUTOINCREMENT) and rolls back with its transaction. */
export class MemCounter implements Snapshottable {
  readonly #journal: Journal;
  #value = 0;

  constructor(journal: Journal) {
    this.#journal = journal;
  }

  get value(): number {
    return this.#value;
  }

  next(): number {
    this.#journal.touch(this);
    this.#value += 1;
    return this.#value;
  }

  snapshot(): () => void {
    const saved = this.#value;
    return () => {
      this.#value = saved;
    };
  }
}

export function assertSynchronous(result: unknown): void {
  if (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function') {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'store transactions are synchronous: the callback must not return a Promise');
  }
}

/** What a JSON TEXT column would give back: Maps become plain objects, the caller's object is not shared. */
export function jsonRoundTrip(v: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(toPlain(v))) as JsonValue;
}

/** Same clamping as SQL LIMIT in the SQLite adapter: undefined = all, negative = none. */
export function take<T>(rows: T[], limit: number | undefined): T[] {
  return limit === undefined ? rows : rows.slice(0, Math.max(0, Math.floor(limit)));
}

export function countBy<T>(rows: readonly T[], key: (row: T) => string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  // Sorted like the SQL (ORDER BY peer); fromEntries defines own properties even for "__proto__".
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
