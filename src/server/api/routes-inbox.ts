/**
 * The inbox for agents on other frameworks that poll (bash's generic receiver's inbox mode, done
 * right): `GET /api/inbox?unread=1` lists what nobody acknowledged yet; `POST /api/inbox/:id/ack`
 * marks a message read, so it is not listed with `unread=1` again; `after=<id>` pages on behind a
 * message (a cursor: oldest first, by arrival). `GET /api/inbox/:id` shows one message with its
 * envelope (tokens masked), `POST /api/inbox/:id/reply` answers it as `mesh reply` does.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { replyToMessage } from '../../node/reply.ts';
import type { InboxFilter, InboxMessage } from '../../ports/store.ts';
import type { JsonValue } from '../../protocol/json.ts';
import { isValidAgentName } from '../../protocol/names.ts';
import { acknowledgeMessages } from '../../node/acknowledge.ts';
import { jsonObjectSchema, readJson } from './api-body.ts';
import type { ApiContext } from './api-context.ts';
import { ApiCode, ApiFailure } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';
import { queryBool, queryInt, queryText, queryTime } from './api-query.ts';
import { inboxDetail, inboxView } from '../../node/inbox-view.ts';
import { sendAnswer } from './send-answer.ts';

export const DEFAULT_INBOX_LIMIT = 50;
export const MAX_INBOX_LIMIT = 500;
/** Message ids come from peers: printable, bounded. */
const MESSAGE_REF_RE = /^[A-Za-z0-9_.:-]{1,200}$/;

export const replyBody = z.object({
  body: z.string().min(1),
  subject: z.string().max(1000).optional(),
  metadata: jsonObjectSchema.optional(),
  encrypt: z.boolean().optional(),
  noRetry: z.boolean().optional(),
}).strict();

function messageOf(c: Context<ApiEnv>, ctx: ApiContext): InboxMessage {
  const id = c.req.param('id') ?? '';
  const m = MESSAGE_REF_RE.test(id) ? ctx.node.store.inbox.get(id) : null;
  if (m === null) throw new ApiFailure(ApiCode.NotFound, 'no received message with that id');
  return m;
}

export function mountInboxRoutes(app: Hono<ApiEnv>, ctx: ApiContext): void {
  app.get('/api/inbox', (c) => {
    const now = ctx.node.clock.now();
    const limit = queryInt(c, 'limit', 1, MAX_INBOX_LIMIT) ?? DEFAULT_INBOX_LIMIT;
    const unread = queryBool(c, 'unread');
    const after = queryText(c, 'after', 200);
    const from = queryText(c, 'from', 64);
    const type = queryText(c, 'type', 32);
    const since = queryTime(c, 'since', now);
    if (from !== undefined && !isValidAgentName(from)) throw new ApiFailure(ApiCode.InvalidRequest, 'query parameter "from" must be an agent name');
    if (type !== undefined && !/^[a-z_]{1,32}$/.test(type)) throw new ApiFailure(ApiCode.InvalidRequest, 'query parameter "type" must be a message type');
    const inbox = ctx.node.store.inbox;
    if (after !== undefined && (!MESSAGE_REF_RE.test(after) || inbox.get(after) === null)) {
      throw new ApiFailure(ApiCode.InvalidRequest, 'query parameter "after" names no message in the inbox (pruned, or never received)');
    }
    const filter: InboxFilter = {
      limit: limit + 1,
      ...(unread === undefined ? {} : { unread }),
      ...(after === undefined ? {} : { after }),
      ...(from === undefined ? {} : { from }),
      ...(type === undefined ? {} : { type }),
      ...(since === undefined ? {} : { since }),
    };
    const eventSeq = ctx.node.store.events.latestSeq();
    const found = inbox.list(filter);
    const shown = found.slice(0, limit);
    return c.json({
      ok: true, eventSeq, count: shown.length, limit, hasMore: found.length > limit, next: shown.at(-1)?.id ?? after ?? null,
      messages: shown.map(inboxView),
    });
  });

  app.get('/api/inbox/:id', (c) => c.json({ ok: true, message: inboxDetail(messageOf(c, ctx)) }));

  app.post('/api/inbox/:id/ack', (c) => {
    const m = messageOf(c, ctx);
    const now = ctx.node.clock.now();
    const newly = acknowledgeMessages(ctx.node, [m.id], now).length > 0;
    return c.json({ ok: true, id: m.id, acknowledged: newly, readAt: newly ? now : m.readAt });
  });

  app.post('/api/inbox/:id/reply', async (c) => {
    const original = messageOf(c, ctx);
    const b = await readJson(c, replyBody, ctx.maxBodyBytes());
    const results = await replyToMessage(ctx.node, original, b.body, {
      subject: b.subject, metadata: b.metadata as JsonValue | undefined, encrypt: b.encrypt, noRetry: b.noRetry,
    });
    return sendAnswer(c, results, { inReplyTo: original.id });
  });
}
