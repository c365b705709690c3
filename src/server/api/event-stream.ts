/**
 * One client of `GET /api/events` as a byte stream of Server-Sent Events:
 *  1. replay: every event of the log after the client's position (`Last-Event-ID` or `?after=`), read
 *     a page at a time, only as fast as the client takes them;
 *  2. live: from the shared feed, skipping what the replay already sent, so the client sees every
 *     sequence number once, in order, with no gap.
 * Filters (types, conversation) drop events but still advance the position; a heartbeat carries it
 * (`id:` line) so a reconnect does not replay what was filtered out.
 *
 * Memory per client is bounded. A live client with more than `maxBufferBytes` waiting (it reads
 * slowly, or a burst came) stops taking live events and falls back to replaying from the log once it
 * drained, so a burst costs it nothing. A client that leaves its stream unread for `stallMs` while
 * its buffer is full is cut off; it can reconnect with its last id and replay from the log.
 */
import type { Logger } from '../../ports/logger.ts';
import type { EventLog } from '../../ports/store.ts';
import { feedRecord, type EventFeed, type FeedRecord } from './event-feed.ts';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** The reconnection delay suggested to EventSource clients (`retry:`). */
export const RECONNECT_HINT_MS = 2_000;
/** Events read from the log per replay step. */
const REPLAY_PAGE = 200;

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
  /** How long a full, unread stream is kept before the client is cut off. */
  stallMs: number;
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

type Mode = 'replay' | 'live' | 'lagging';

export function openEventStream(o: EventStreamOptions): EventStreamHandle {
  const heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  /** The last sequence number the client has been given or passed over (filtered out). */
  let position = 0;
  /** The last `id:` the client was sent. */
  let idSent = 0;
  let mode: Mode = 'replay';
  let ended = false;
  let sentCount = 0;
  let detach: (() => void) | null = null;
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  let stall: ReturnType<typeof setTimeout> | null = null;

  const queued = (): number => o.maxBufferBytes - (controller.desiredSize ?? 0);

  const end = (): void => {
    if (ended) return;
    ended = true;
    detach?.();
    detach = null;
    if (heartbeat !== null) clearInterval(heartbeat);
    if (stall !== null) clearTimeout(stall);
    o.onClose();
  };

  const enqueue = (chunk: Uint8Array): void => {
    controller.enqueue(chunk);
    // A full stream must drain (pull() disarms this) or the client goes.
    if ((controller.desiredSize ?? 0) <= 0 && stall === null && !ended) {
      stall = setTimeout(() => {
        stall = null;
        if (ended || (controller.desiredSize ?? 0) > 0) return;
        o.logger.warn('event stream: client stopped reading, cut off', { queuedBytes: queued(), position });
        controller.error(new Error('event stream client too slow'));
        end();
      }, o.stallMs);
      stall.unref();
    }
  };

  const send = (r: FeedRecord): void => {
    position = r.seq;
    if (!matches(o.filter, r)) return;
    enqueue(r.frame);
    idSent = r.seq;
    sentCount += 1;
  };

  const onLive = (r: FeedRecord): void => {
    if (ended || mode !== 'live' || r.seq <= position) return;
    if ((controller.desiredSize ?? 0) < 0) {
      // Too much waiting: take nothing more live; replay from the log once the client drained.
      mode = 'lagging';
      detach?.();
      detach = null;
      return;
    }
    send(r);
  };

  /** Replays one page; switches to live once the log has nothing more. */
  const replayPage = (): void => {
    const page = o.log.after(position, REPLAY_PAGE);
    for (const r of page) send(feedRecord(r));
    if (page.length < REPLAY_PAGE) {
      mode = 'live';
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
        if (ended || mode === 'lagging') return;
        const id = position > idSent ? `id: ${position}\n\n` : '';
        if (id !== '') idSent = position;
        enqueue(encoder.encode(`: heartbeat\n\n${id}`));
      }, heartbeatMs);
      heartbeat.unref();
    },
    pull() {
      if (stall !== null) clearTimeout(stall);
      stall = null;
      if (mode === 'lagging') mode = 'replay';
      // A pull that enqueues nothing is not called again: keep reading pages until one gave the
      // client something (filters may drop whole pages) or the replay reached the live feed.
      const before = sentCount;
      while (mode === 'replay' && !ended && sentCount === before) replayPage();
    },
    cancel() {
      end();
    },
    // Full at maxBufferBytes: replay reads ahead up to there, live events past it make the client lag.
  }, { highWaterMark: o.maxBufferBytes, size: (chunk) => chunk.byteLength });

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
