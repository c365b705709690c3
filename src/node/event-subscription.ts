/**
 * Following the node's event log from a cursor, as an async iterator (the SDK's `subscribe`, and
 * through it the MCP `wait_for_message` tool). The log is the one source: every record is read from
 * it in sequence order, so nothing is skipped or repeated however the reader was woken, and a
 * reader that stops can resume later from `cursor` (after a restart of the daemon or of itself).
 *
 * What wakes a waiting reader to read the log again:
 *  - the node's in-process event bus (told after commit): immediate for events emitted in this
 *    process — by this process's own sends, or by a daemon running in this process on the same
 *    MeshNode;
 *  - a change of the database's WAL file (another process committed; a hint, may come early or not
 *    at all where file watching is unsupported);
 *  - a poll every `pollIntervalMs` (default 250 ms) while someone waits: the bound on how late an
 *    event of another process (a separate `mesh serve`) can be seen when the hint does not come.
 * A separate process cannot hear the daemon's in-memory bus, so for it the last two apply.
 */
import type { MeshEventRecord } from '../ports/store.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { MeshNode } from './mesh-node.ts';
import { watchDatabaseWrites } from './store-watch.ts';

export const DEFAULT_SUBSCRIBE_POLL_MS = 250;
export const MIN_SUBSCRIBE_POLL_MS = 10;
export const MAX_SUBSCRIBE_POLL_MS = 60_000;
/** Records read from the log per query. */
const PAGE = 500;

export interface EventFilter {
  /** Event types; an item ending in `.*` matches a prefix (`message.*`). Absent: every type. */
  types?: readonly string[] | undefined;
  /** Only events whose data.conversationId is this. */
  conversationId?: string | undefined;
  /** Any further test. */
  where?: ((record: MeshEventRecord) => boolean) | undefined;
}

export interface SubscribeOptions {
  /** The last sequence number the caller already has (0: the whole log). Default: the log's end now. */
  after?: number | undefined;
  filter?: EventFilter | undefined;
  pollIntervalMs?: number | undefined;
  /** Ends the iteration (the pending `next()` resolves done). */
  signal?: AbortSignal | undefined;
  /** Called once when the subscription closes (for owners that track their subscriptions). */
  onClose?: (() => void) | undefined;
}

export function eventMatches(f: EventFilter, r: MeshEventRecord): boolean {
  if (f.types !== undefined && !f.types.some((t) => (t.endsWith('.*') ? r.type.startsWith(t.slice(0, -1)) : r.type === t))) return false;
  if (f.conversationId !== undefined) {
    const d = r.data;
    const conv = typeof d === 'object' && d !== null && !Array.isArray(d) && !(d instanceof Map) ? (d as Record<string, unknown>)['conversationId'] : undefined;
    if (conv !== f.conversationId) return false;
  }
  return f.where === undefined || f.where(r);
}

export class EventSubscription implements AsyncIterableIterator<MeshEventRecord> {
  readonly #node: MeshNode;
  readonly #filter: EventFilter;
  readonly #pollMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #onClose: (() => void) | undefined;
  readonly #ready: MeshEventRecord[] = [];
  #readPos: number;
  #missed = 0;
  #closed = false;
  /** Something happened since the last look (a wake that came while nobody waited). */
  #poked = false;
  #wake: (() => void) | null = null;
  #unsubscribe: (() => void) | null = null;
  #unwatch: (() => void) | null = null;
  readonly #onAbort = (): void => this.close();

  constructor(node: MeshNode, o: SubscribeOptions = {}) {
    const poll = o.pollIntervalMs ?? DEFAULT_SUBSCRIBE_POLL_MS;
    if (!Number.isFinite(poll) || poll < MIN_SUBSCRIBE_POLL_MS || poll > MAX_SUBSCRIBE_POLL_MS) {
      throw new MeshError(MeshErrorCode.InvalidArgument, `pollIntervalMs must be ${MIN_SUBSCRIBE_POLL_MS}..${MAX_SUBSCRIBE_POLL_MS}`);
    }
    const after = o.after ?? node.store.events.latestSeq();
    if (!Number.isSafeInteger(after) || after < 0) throw new MeshError(MeshErrorCode.InvalidArgument, 'after must be an event sequence number (0 or more)');
    this.#node = node;
    this.#filter = o.filter ?? {};
    this.#pollMs = poll;
    this.#signal = o.signal;
    this.#onClose = o.onClose;
    this.#readPos = after;
    this.#unsubscribe = node.events.subscribe(() => this.#poke());
    this.#unwatch = watchDatabaseWrites(node, () => this.#poke());
    if (o.signal?.aborted) this.close();
    else o.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * Where this reader stands: every event up to here was yielded or passed over by the filter, none
   * after it was yielded. Resume with `after: cursor`: nothing is missed or repeated.
   */
  get cursor(): number {
    const first = this.#ready[0];
    return first === undefined ? this.#readPos : first.seq - 1;
  }

  /** Sequence numbers that were gone from the log when it was read (pruned by retention). */
  get missed(): number {
    return this.#missed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #poke(): void {
    this.#poked = true;
    this.#wake?.();
  }

  /** Reads one page past the cursor; true when the log may hold more right now. */
  #read(): boolean {
    const page = this.#node.store.events.after(this.#readPos, PAGE);
    for (const r of page) {
      if (r.seq > this.#readPos + 1) this.#missed += r.seq - this.#readPos - 1;
      this.#readPos = r.seq;
      if (eventMatches(this.#filter, r)) this.#ready.push(r);
    }
    return page.length === PAGE;
  }

  #sleep(): Promise<void> {
    if (this.#poked || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), this.#pollMs);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }

  async next(): Promise<IteratorResult<MeshEventRecord>> {
    for (;;) {
      if (this.#closed) return { done: true, value: undefined };
      const r = this.#ready.shift();
      if (r !== undefined) return { done: false, value: r };
      this.#poked = false;
      if (this.#read() || this.#ready.length > 0) continue;
      await this.#sleep();
    }
  }

  /** Stops following; a pending `next()` resolves done. Records read but not taken stay after `cursor`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#unwatch?.();
    this.#unwatch = null;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#wake?.();
    this.#onClose?.();
  }

  return(): Promise<IteratorResult<MeshEventRecord>> {
    this.close();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
