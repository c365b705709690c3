/**
 * Group commit for the receiver: requests that arrive in the same turn of the event loop are
 * handled inside ONE outer store transaction (each handler's own transaction becomes a savepoint),
 * and their HTTP answers go out only after that transaction committed. A message is still
 * acknowledged only once it is durable; the node just pays one WAL commit per batch instead of one
 * per message, which is most of the receiver's cost per message.
 *
 * If the outer transaction cannot start or commit (database locked past the busy timeout, disk
 * full), every request of the batch gets the failure answer: none of them was stored, so none may
 * be acknowledged; the senders retry.
 */
import type { Store } from '../ports/store.ts';

export interface GroupCommitOptions<Req, Res> {
  store: Pick<Store, 'transaction'>;
  /** Synchronous handler; its own store writes nest inside the batch's transaction. */
  handle: (req: Req) => Res;
  /** The answer for every request of a batch whose transaction failed. */
  onBatchFailure: (error: unknown) => Res;
  /** Largest batch; more requests wait for the next turn. */
  maxBatch?: number;
  /** Defers the flush to the end of the current turn (setImmediate; injectable for tests). */
  defer?: (fn: () => void) => void;
}

interface Pending<Req, Res> {
  req: Req;
  resolve: (res: Res) => void;
}

export const DEFAULT_GROUP_COMMIT_MAX_BATCH = 64;

export function createGroupCommit<Req, Res>(o: GroupCommitOptions<Req, Res>): (req: Req) => Promise<Res> {
  const maxBatch = o.maxBatch ?? DEFAULT_GROUP_COMMIT_MAX_BATCH;
  const defer = o.defer ?? ((fn: () => void) => void setImmediate(fn));
  let queue: Pending<Req, Res>[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    if (queue.length > 0) schedule();
    let results: Res[];
    try {
      results = o.store.transaction(() => batch.map((p) => o.handle(p.req)));
    } catch (e) {
      const failed = o.onBatchFailure(e);
      results = batch.map(() => failed);
    }
    for (const [i, p] of batch.entries()) p.resolve(results[i] as Res);
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    defer(flush);
  }

  return (req) => new Promise<Res>((resolve) => {
    queue.push({ req, resolve });
    schedule();
  });
}
