/**
 * Which round of which conversation (that this node started) a response answers. Rules, in order:
 *  1. correlation: `correlationId` is the id of a request of a round (the request map);
 *  2. reply_context: `replyContext.conversationId` + `replyContext.round` (echoed by mesh-reply.sh and
 *     build_mesh_response);
 *  3. conversation_id: the envelope's `conversationId` (or a replyContext conversationId without a
 *     usable round): the current round;
 *  4. subject: a `[conv_…]` subject prefix (after any `Re:`): the current round.
 * A rule that names a conversation this node did not start (or a round it does not have) gives way
 * to the next one. Reads only.
 */
import type { ConversationRecord, ConversationRepo, CorrelationMethod, RoundRecord } from '../ports/conversation-repo.ts';
import type { Envelope } from '../protocol/envelope.ts';
import { CONVERSATION_ID_RE } from '../protocol/ids.ts';
import { getField } from '../protocol/json.ts';
import { conversationIdFromSubject } from './framing.ts';

export interface CorrelationTarget {
  conversation: ConversationRecord;
  round: RoundRecord;
  method: CorrelationMethod;
}

/** Highest round number accepted from a peer's replyContext (far above any real conversation). */
const MAX_ROUND = 100_000;

/** A conversation id from peer input, when it has the right shape. */
export function conversationIdOf(v: unknown): string | null {
  return typeof v === 'string' && CONVERSATION_ID_RE.test(v) ? v : null;
}

/** A round number from peer input: a positive integer (a number, or its decimal text), else null. */
export function roundOf(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_ROUND ? n : null;
}

function initiated(repo: ConversationRepo, id: string | null): ConversationRecord | null {
  if (id === null) return null;
  const c = repo.get(id);
  return c !== null && c.role === 'initiator' ? c : null;
}

function at(repo: ConversationRepo, c: ConversationRecord | null, round: number | null, method: CorrelationMethod): CorrelationTarget | null {
  if (c === null || round === null) return null;
  const r = repo.round(c.id, round);
  return r === null ? null : { conversation: c, round: r, method };
}

export function correlate(repo: ConversationRepo, env: Envelope): CorrelationTarget | null {
  if (env.correlationId !== null) {
    const req = repo.request(env.correlationId);
    if (req !== null) {
      const hit = at(repo, initiated(repo, req.conversationId), req.round, 'correlation');
      if (hit !== null) return hit;
    }
  }
  const rcId = conversationIdOf(getField(env.replyContext, 'conversationId'));
  const rcRound = roundOf(getField(env.replyContext, 'round'));
  const byReplyContext = at(repo, initiated(repo, rcId), rcRound, 'reply_context');
  if (byReplyContext !== null) return byReplyContext;

  for (const id of [conversationIdOf(env.conversationId), rcId]) {
    const c = initiated(repo, id);
    const hit = at(repo, c, c?.currentRound ?? null, 'conversation_id');
    if (hit !== null) return hit;
  }
  const bySubject = initiated(repo, conversationIdFromSubject(env.payload.subject));
  return at(repo, bySubject, bySubject?.currentRound ?? null, 'subject');
}
