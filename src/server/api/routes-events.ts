/**
 * `GET /api/events`: the node's event log as Server-Sent Events (event-stream.ts). Resume with the
 * `Last-Event-ID` header (EventSource sends it when it reconnects) or `?after=<seq>`; the header wins.
 * Without either, the stream starts at the end of the log (live only): read state first (every GET
 * answer carries `eventSeq`), then subscribe with `?after=<eventSeq>` to miss nothing in between.
 * Filters: `?type=a,b` (an item `x.*` is a prefix) and `?conversation=<id>`.
 */
import type { Hono } from 'hono';
import { CONVERSATION_ID_RE } from '../../protocol/ids.ts';
import type { ApiContext } from './api-context.ts';
import { ApiCode, ApiFailure, failAnswer } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';
import { queryList, queryMatching } from './api-query.ts';
import { openEventStream, type EventStreamHandle } from './event-stream.ts';

const SEQ_RE = /^\d{1,15}$/;
const TYPE_FILTER_RE = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?$/;
export const MAX_TYPE_FILTERS = 32;

export function mountEventRoutes(app: Hono<ApiEnv>, ctx: ApiContext): void {
  app.get('/api/events', (c) => {
    const header = c.req.header('last-event-id')?.trim();
    if (header !== undefined && header !== '' && !SEQ_RE.test(header)) {
      throw new ApiFailure(ApiCode.InvalidRequest, 'Last-Event-ID must be an event sequence number');
    }
    const query = queryMatching(c, 'after', SEQ_RE, 'an event sequence number');
    const resume = header !== undefined && header !== '' ? header : query;
    const types = queryList(c, 'type', TYPE_FILTER_RE, MAX_TYPE_FILTERS, 'event types (a.b, or a prefix a.*), comma-separated');
    const conversationId = queryMatching(c, 'conversation', CONVERSATION_ID_RE, 'a conversation id');
    if (ctx.signal.aborted) return failAnswer(ApiCode.Unavailable, 'the daemon is stopping');
    if (ctx.streams.size >= ctx.maxEventStreams()) {
      return failAnswer(ApiCode.TooManyStreams, 'too many event streams are open; try again later', {}, { 'retry-after': '5' });
    }
    let handle: EventStreamHandle | null = null;
    handle = openEventStream({
      log: ctx.node.store.events,
      feed: ctx.feed,
      after: resume === undefined ? null : Number(resume),
      filter: { types: types ?? null, conversationId: conversationId ?? null },
      maxBufferBytes: ctx.eventStreamBufferBytes(),
      stallMs: ctx.eventStreamStallMs(),
      heartbeatMs: ctx.heartbeatMs,
      logger: ctx.node.logger,
      onClose: () => {
        if (handle !== null) ctx.streams.delete(handle);
      },
    });
    ctx.streams.add(handle);
    return new Response(handle.stream, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      },
    });
  });
}
