/**
 * `POST /api/send` and `POST /api/request`: what `mesh send` and `mesh request` do, for agents on
 * other frameworks. A request waits at most `waitSeconds` (1-300) for the response correlated to
 * it and answers with it, or with 504 timeout (the request id, to check later with `mesh track`).
 * Attachments from files are not offered here: a path in a request body would let any caller make
 * this node read (and send) any file it can read.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { requestAndAwait } from '../../node/request-response.ts';
import { sendMessage, type SendInput } from '../../node/send-message.ts';
import { MESSAGE_TYPES } from '../../protocol/envelope.ts';
import type { JsonValue } from '../../protocol/json.ts';
import { isValidAgentName } from '../../protocol/names.ts';
import { jsonObjectSchema, jsonValueSchema, readJson } from './api-body.ts';
import type { ApiContext } from './api-context.ts';
import { ApiCode, failAnswer } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';
import { resultView, sendAnswer } from './send-answer.ts';

export const DEFAULT_WAIT_SECONDS = 30;
export const MAX_WAIT_SECONDS = 300;

/** The options `mesh send` has, as JSON fields (no files, no dry run). */
const messageFields = {
  body: z.string().min(1),
  subject: z.string().max(1000).optional(),
  priority: z.string().min(1).max(32).optional(),
  ttl: z.number().int().min(1).max(30 * 86_400).optional(),
  correlationId: z.string().min(1).max(200).optional(),
  conversationId: z.string().min(1).max(200).optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
  metadata: jsonObjectSchema.optional(),
  replyContext: jsonValueSchema.optional(),
  sessionKey: z.string().min(1).max(500).optional(),
  encrypt: z.boolean().optional(),
  noRetry: z.boolean().optional(),
};

export const sendBody = z.object({
  /** An agent, `all`, `@group`, or several agents separated by commas. */
  to: z.string().min(1).max(2000),
  type: z.enum(MESSAGE_TYPES),
  ...messageFields,
}).strict();

export const requestBody = z.object({
  to: z.string().max(64).refine(isValidAgentName, { message: 'must be one agent name (asking several is a rally)' }),
  waitSeconds: z.number().min(1).max(MAX_WAIT_SECONDS).optional(),
  ...messageFields,
}).strict();

type MessageFields = z.output<z.ZodObject<typeof messageFields>>;

function draftOf(b: MessageFields): Omit<SendInput, 'target' | 'type'> {
  return {
    body: b.body, subject: b.subject, priority: b.priority, ttlSeconds: b.ttl, correlationId: b.correlationId,
    conversationId: b.conversationId, idempotencyKey: b.idempotencyKey, metadata: b.metadata as JsonValue | undefined,
    replyContext: b.replyContext as JsonValue | undefined,
    session: b.sessionKey === undefined ? undefined : { key: b.sessionKey }, encrypt: b.encrypt, noRetry: b.noRetry,
  };
}

export function mountMessageRoutes(app: Hono<ApiEnv>, ctx: ApiContext): void {
  app.post('/api/send', async (c) => {
    const b = await readJson(c, sendBody, ctx.maxBodyBytes());
    const results = await sendMessage(ctx.node, { ...draftOf(b), target: b.to, type: b.type });
    return sendAnswer(c, results);
  });

  app.post('/api/request', async (c) => {
    const b = await readJson(c, requestBody, ctx.maxBodyBytes());
    const waitMs = (b.waitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
    // Ends early when the client goes away or the daemon stops.
    const gone = AbortSignal.any([ctx.signal, c.req.raw.signal]);
    const { end: ended, request: sent, response } = await requestAndAwait(ctx.node, { ...draftOf(b), target: b.to }, { timeoutMs: waitMs, signal: gone });
    if (ended === 'not_sent') return sendAnswer(c, [sent]);
    const request = resultView(sent);
    if (response === null) {
      if (ended === 'dead_lettered') return failAnswer(ApiCode.NotDelivered, `the request to ${b.to} was dead-lettered`, { request });
      return failAnswer(ApiCode.Timeout, `no response from ${b.to} within ${waitMs / 1000} s (check later: mesh track check ${String(sent.id)})`, { request });
    }
    return c.json({
      ok: true, request,
      response: { id: response.id, from: response.from, subject: response.subject, body: response.body, auth: response.auth, receivedAt: response.receivedAt },
    });
  });
}
