/**
 * Group commit for the sender's bookkeeping: store work queued in the same turn of the event loop
 * (the enqueue of several concurrent `submit`s, the outcomes of several attempts whose answers came
 * in together) runs inside ONE outer store transaction, each item in its own nested transaction
 * (a savepoint), so the node pays one WAL commit per batch instead of one per message.
 *
 * Contract:
 * - `run(work, durable)` resolves with `work`'s result only after the batch's transaction
 *   committed; it rejects with `work`'s own error (only that item is undone: its savepoint rolls
 *   back, the others commit), or with the batch's error when the outer transaction could not start
 *   or commit (then nothing of the batch was stored).
 * - The batch's commit is durable (fsynced under `synchronous = FULL`) when any of its items asked
 *   for it, so an item that needs to be on disk before its caller reports or sends anything still is;
 *   items that did not ask simply ride along.
 * - Work must be synchronous (store transactions are).
 */
import type { Store } from '../ports/store.ts';

export interface CommitBatcher {
  run<T>(work: () => T, durable: boolean): Promise<T>;
}

/** Largest batch; the rest waits for the next turn, so one commit never holds the lock for long. */
export const DEFAULT_COMMIT_BATCH_MAX = 256;

interface Item {
  work: () => unknown;
  durable: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export function createCommitBatcher(o: {
  store: Pick<Store, 'transaction'>;
  /** Runs the flush at the end of the current turn (setImmediate; injectable for tests). */
  defer?: (fn: () => void) => void;
  maxBatch?: number;
}): CommitBatcher {
  const defer = o.defer ?? ((fn: () => void) => void setImmediate(fn));
  const maxBatch = o.maxBatch ?? DEFAULT_COMMIT_BATCH_MAX;
  let queue: Item[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    if (queue.length > 0) schedule();
    let outcomes: Outcome[];
    try {
      outcomes = o.store.transaction(
        () => batch.map((item): Outcome => {
          try {
            return { ok: true, value: o.store.transaction(item.work) };
          } catch (error) {
            return { ok: false, error };
          }
        }),
        { durable: batch.some((i) => i.durable) },
      );
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    for (const [i, item] of batch.entries()) {
      const out = outcomes[i] as Outcome;
      if (out.ok) item.resolve(out.value);
      else item.reject(out.error);
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    defer(flush);
  }

  return {
    run<T>(work: () => T, durable: boolean): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, durable, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
  };
}
