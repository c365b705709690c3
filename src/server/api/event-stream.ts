/**
 * One client of `GET /api/events` as a byte stream of Server-Sent Events:
 *  1. replay: every event of the log after the client's position (`Last-Event-ID` or `?after=`), read
 *     in pages only as fast as the client takes them;
 *  2. live: from the shared feed, skipping what the replay already sent, so the client sees every
 *     sequence number once, in order, with no gap.
 * Filters (types, conversation) drop events but still advance the position; a heartbeat carries it
 * (`id:` line) so a reconnect does not replay what was filtered out. A client that stops reading is
 * cut off once more than `maxBufferBytes` of live events wait for it, instead of growing memory; it
 * can reconnect with its last id and replay from the log.
 */
import type { Logger } from '../../ports/logger.ts';
import type { EventLog } from '../../ports/store.ts';
import { feedRecord, FEED_PAGE, type EventFeed, type FeedRecord } from './event-feed.ts';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** The reconnection delay suggested to EventSource clients (`retry:`). */
export const RECONNECT_HINT_MS = 2_000;
/** Bytes queued before replay stops reading ahead (replay never exceeds this by more than a page). */
const REPLAY_HIGH_WATER_BYTES = 64 * 1024;

export interface EventFilter {
  /** Event types; an item ending in `.*` matches a prefix (`message.*`). Null: every type. */
  types: readonly string[] | null;
  conversationId: string | null;
}

export interface EventStreamOptions {
  log: EventLog;
  feed: EventFeed;
  /** Last sequence number the client has; null: start at the end of the log (live only). */
  after: number | null;
  filter: EventFilter;
  maxBufferBytes: number;
  heartbeatMs?: number;
  logger: Logger;
  /** Called once when the stream ends, whatever the reason. */
  onClose: () => void;
}

const encoder = new TextEncoder();

function matches(f: EventFilter, r: FeedRecord): boolean {
  if (f.conversationId !== null && r.conversationId !== f.conversationId) return false;
  if (f.types === null) return true;
  return f.types.some((t) => (t.endsWith('.*') ? r.type.startsWith(t.slice(0, -1)) : r.type === t));
}

function control(type: string, data: unknown, id: number | null): Uint8Array {
  return encoder.encode(`${id === null ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

export interface EventStreamHandle {
  stream: ReadableStream<Uint8Array>;
  /** Ends the stream normally (daemon stopping). */
  close(): void;
}

export function openEventStream(o: EventStreamOptions): EventStreamHandle {
  const heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  /** The last sequence number the client has been given or passed over (filtered out). */
  let position = 0;
  /** The last `id:` the client was sent. */
  let idSent = 0;
  let live = false;
  let ended = false;
  let detach: (() => void) | null = null;
  let heartbeat: ReturnType<typeof setInterval> | null = null;

  const end = (): void => {
    if (ended) return;
    ended = true;
    detach?.();
    detach = null;
    if (heartbeat !== null) clearInterval(heartbeat);
    o.onClose();
  };

  let sentCount = 0;
  const send = (r: FeedRecord): void => {
    position = r.seq;
    if (!matches(o.filter, r)) return;
    controller.enqueue(r.frame);
    idSent = r.seq;
    sentCount += 1;
  };

  const onLive = (r: FeedRecord): void => {
    if (ended || r.seq <= position) return;
    send(r);
    const queued = REPLAY_HIGH_WATER_BYTES - (controller.desiredSize ?? 0);
    if (queued > o.maxBufferBytes) {
      o.logger.warn('event stream: client too slow, cut off', { queuedBytes: queued, position });
      controller.error(new Error('event stream client too slow'));
      end();
    }
  };

  /** Replays one page; switches to live once the log has nothing more. */
  const replayPage = (): void => {
    const page = o.log.after(position, FEED_PAGE);
    for (const r of page) send(feedRecord(r));
    if (page.length < FEED_PAGE) {
      live = true;
      detach = o.feed.add(onLive, position);
    }
  };

  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(encoder.encode(`retry: ${RECONNECT_HINT_MS}\n: mesh event stream\n\n`));
      const latest = o.log.latestSeq();
      if (o.after === null) {
        position = latest;
      } else if (o.after > latest) {
        // The client is ahead of this log (another database, or a made-up id): start again at its end.
        c.enqueue(control('stream.reset', { requested: o.after, latestSeq: latest }, latest));
        position = latest;
        idSent = latest;
      } else {
        position = o.after;
        const first = o.log.after(position, 1)[0];
        if (first !== undefined && first.seq > position + 1) {
          c.enqueue(control('stream.truncated', { after: position, firstAvailable: first.seq }, null));
        }
      }
      heartbeat = setInterval(() => {
        if (ended) return;
        const id = position > idSent ? `id: ${position}\n\n` : '';
        if (id !== '') idSent = position;
        c.enqueue(encoder.encode(`: heartbeat\n\n${id}`));
      }, heartbeatMs);
      heartbeat.unref();
    },
    pull() {
      // A pull that enqueues nothing is not called again: keep reading pages until one gave the
      // client something (filters may drop whole pages) or the replay reached the live feed.
      const before = sentCount;
      while (!live && !ended && sentCount === before) replayPage();
    },
    cancel() {
      end();
    },
  }, { highWaterMark: REPLAY_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength });

  return {
    stream,
    close: () => {
      if (ended) return;
      try {
        controller.close();
      } catch {
        // already errored or closed
      }
      end();
    },
  };
}
