/**
 * One live feed of the node's event log for every event-stream client of the API: strictly in
 * sequence order, each event once, no gap. Two sources feed it:
 *  - the in-process bus (node.events), which tells listeners after the commit: the next event in
 *    sequence is passed on at once;
 *  - the SQLite log itself, for events that other processes (CLI commands) appended: read whenever
 *    the bus hands over an event past a gap or the database file says it was written (`watch`, a
 *    hint), and polled every `pollIntervalMs` (one lookup of the last sequence number) while anyone
 *    listens, in case the hint never comes.
 * Each record's SSE frame is encoded once and shared by every client.
 */
import type { Logger } from '../../ports/logger.ts';
import type { EventLog, MeshEventRecord } from '../../ports/store.ts';

export const DEFAULT_FEED_POLL_MS = 250;
/** Events read from the log per query. */
export const FEED_PAGE = 1000;
/** After a database-file event that showed nothing new yet, look again this much later. */
export const WATCH_RECHECK_MS = 10;

export interface FeedRecord {
  seq: number;
  type: string;
  /** data.conversationId when it is a string (for the conversation filter). */
  conversationId: string | null;
  /** The whole SSE event (`id:`, `event:`, `data:`), UTF-8. */
  frame: Uint8Array;
}

export type FeedListener = (r: FeedRecord) => void;

const encoder = new TextEncoder();
/** Event names on the `event:` line: what MeshEvent types look like, nothing that could break a line. */
const EVENT_NAME_RE = /^[a-z0-9_.-]{1,64}$/;

export function feedRecord(r: MeshEventRecord): FeedRecord {
  const type = EVENT_NAME_RE.test(r.type) ? r.type : 'message';
  const data = r.data;
  const conv = typeof data === 'object' && data !== null && !Array.isArray(data) && !(data instanceof Map)
    ? (data as Record<string, unknown>)['conversationId'] : undefined;
  // JSON.stringify never emits a raw line break, so the data fits on one `data:` line.
  const json = JSON.stringify({ seq: r.seq, ts: r.ts, type: r.type, data });
  return { seq: r.seq, type, conversationId: typeof conv === 'string' ? conv : null, frame: encoder.encode(`id: ${r.seq}\nevent: ${type}\ndata: ${json}\n\n`) };
}

export interface EventFeedOptions {
  log: EventLog;
  /** The in-process bus (told after commit). */
  subscribe: (listener: (r: MeshEventRecord) => void) => () => void;
  pollIntervalMs?: number;
  /** Calls its argument when the log may have grown (another process wrote); returns the way to stop. */
  watch?: (wake: () => void) => () => void;
  logger: Logger;
}

export class EventFeed {
  readonly #o: EventFeedOptions;
  readonly #listeners = new Set<FeedListener>();
  #position = 0;
  #unsubscribe: (() => void) | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #unwatch: (() => void) | null = null;
  #checkPending = false;

  constructor(o: EventFeedOptions) {
    this.#o = o;
  }

  /** The last sequence number passed on (meaningful while anyone listens). */
  get position(): number {
    return this.#position;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /**
   * Starts listening. `from` is the last sequence number the listener has already: an idle feed
   * starts there (not at the log's end, where another process may have appended since the listener
   * read the log); a running feed is never past it. Returns the remover.
   */
  add(listener: FeedListener, from: number): () => void {
    if (this.#listeners.size === 0) this.#start(from);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  #start(from: number): void {
    this.#position = from;
    this.#unsubscribe = this.#o.subscribe((r) => this.#onBus(r));
    const ms = this.#o.pollIntervalMs ?? DEFAULT_FEED_POLL_MS;
    this.#timer = setInterval(() => this.#poll(), ms);
    this.#timer.unref();
    // Many writes in a row make one look, after them. The change may show before the writer's
    // commit is visible to us (the WAL frames are written before the index is updated, and that
    // update makes no file event), so a look that finds nothing looks once more shortly after.
    this.#unwatch = this.#o.watch?.(() => {
      if (this.#checkPending) return;
      this.#checkPending = true;
      setImmediate(() => {
        this.#checkPending = false;
        if (this.#listeners.size === 0 || this.#poll()) return;
        setTimeout(() => {
          if (this.#listeners.size > 0) this.#poll();
        }, WATCH_RECHECK_MS).unref();
      });
    }) ?? null;
  }

  #stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#unwatch?.();
    this.#unwatch = null;
  }

  #onBus(r: MeshEventRecord): void {
    if (r.seq <= this.#position) return;
    if (r.seq === this.#position + 1) this.#deliver(feedRecord(r));
    else this.catchUp(); // another process's events came in between: the log has them (and this one)
  }

  /** Reads what the log has past the position; true when there was something. */
  #poll(): boolean {
    try {
      if (this.#o.log.latestSeq() <= this.#position) return false;
      this.catchUp();
      return true;
    } catch (e) {
      this.#o.logger.warn('event feed: reading the event log failed', { error: (e as Error).name });
      return false;
    }
  }

  /** Passes on everything the log has past the current position. */
  catchUp(): void {
    for (;;) {
      const page = this.#o.log.after(this.#position, FEED_PAGE);
      for (const r of page) this.#deliver(feedRecord(r));
      if (page.length < FEED_PAGE || this.#listeners.size === 0) return;
    }
  }

  #deliver(r: FeedRecord): void {
    this.#position = r.seq;
    for (const l of [...this.#listeners]) {
      try {
        l(r);
      } catch (e) {
        this.#o.logger.error('event feed: a listener failed', { error: (e as Error).name });
      }
    }
  }

  close(): void {
    this.#listeners.clear();
    this.#stop();
  }
}
