/**
 * `GET /api/conversations` (search, newest first, with the state of each one's latest round, so a
 * board can sort them into lanes) and `GET /api/conversations/:id` (every round with its responses,
 * requests and who answered, the consensus analysis and the verdict). Times are epoch milliseconds.
 */
import type { Hono } from 'hono';
import type { ConversationSearch, ConversationStatus, ConversationType, RoundRecord } from '../../ports/conversation-repo.ts';
import { CONVERSATION_STATUSES, CONVERSATION_TYPES } from '../../ports/conversation-repo.ts';
import { CONVERSATION_ID_RE } from '../../protocol/ids.ts';
import { isValidAgentName } from '../../protocol/names.ts';
import type { ApiContext } from './api-context.ts';
import { ApiCode, ApiFailure } from './api-errors.ts';
import type { ApiEnv } from './api-env.ts';
import { queryInt, queryList, queryMatching, queryText, queryTime } from './api-query.ts';

export const DEFAULT_CONVERSATION_LIMIT = 100;
export const MAX_CONVERSATION_LIMIT = 1000;
/** Characters of a round's question shown in a listing (the detail view has all of it). */
export const LIST_QUESTION_CHARS = 300;

const TYPE_RE = new RegExp(`^(${CONVERSATION_TYPES.join('|')})$`);
const STATUS_RE = new RegExp(`^(${CONVERSATION_STATUSES.join('|')})$`);

export interface LatestRound {
  round: number;
  status: RoundRecord['status'];
  question: string;
  deadline: number;
  expected: string[];
  quorum: number | null;
  answered: string[];
  missing: string[];
  /** Responses recorded for the round, counted or not (duplicates, late, unverified…). */
  responses: number;
}

export function mountConversationRoutes(app: Hono<ApiEnv>, ctx: ApiContext): void {
  app.get('/api/conversations', (c) => {
    const now = ctx.node.clock.now();
    const limit = queryInt(c, 'limit', 1, MAX_CONVERSATION_LIMIT) ?? DEFAULT_CONVERSATION_LIMIT;
    const type = queryMatching(c, 'type', TYPE_RE, CONVERSATION_TYPES.join(', '));
    const status = queryList(c, 'status', STATUS_RE, CONVERSATION_STATUSES.length, `some of ${CONVERSATION_STATUSES.join(', ')}, comma-separated`);
    const agent = queryText(c, 'agent', 64);
    if (agent !== undefined && !isValidAgentName(agent)) throw new ApiFailure(ApiCode.InvalidRequest, 'query parameter "agent" must be an agent name');
    const role = queryMatching(c, 'role', /^(initiator|participant)$/, 'initiator or participant');
    const since = queryTime(c, 'since', now);
    const q = queryText(c, 'q');
    const filter: ConversationSearch = {
      limit: limit + 1,
      ...(type === undefined ? {} : { type: type as ConversationType }),
      ...(status === undefined ? {} : { status: status as ConversationStatus[] }),
      ...(agent === undefined ? {} : { agent }),
      ...(role === undefined ? {} : { role: role as 'initiator' | 'participant' }),
      ...(since === undefined ? {} : { since }),
      ...(q === undefined ? {} : { query: q }),
    };
    const repo = ctx.node.store.conversations;
    const eventSeq = ctx.node.store.events.latestSeq();
    const found = ctx.conversations().search(filter);
    const shown = found.slice(0, limit);
    // One read for every listed conversation's latest round (not two per conversation).
    const digests = new Map(repo.currentRounds(shown.map((c) => c.id)).map((d) => [d.round.conversationId, d]));
    const conversations = shown.map((conv) => {
      const d = digests.get(conv.id);
      let latestRound: LatestRound | null = null;
      if (d !== undefined) {
        const r = d.round;
        const answered = new Set(d.answered);
        latestRound = {
          round: r.round, status: r.status, question: r.question.slice(0, LIST_QUESTION_CHARS), deadline: r.deadline, expected: r.expected,
          quorum: r.quorum, answered: r.expected.filter((a) => answered.has(a)), missing: r.expected.filter((a) => !answered.has(a)),
          responses: d.responses,
        };
      }
      const { labels: _labels, ...rest } = conv;
      return { ...rest, latestRound };
    });
    return c.json({ ok: true, eventSeq, count: conversations.length, limit, hasMore: found.length > limit, conversations });
  });

  app.get('/api/conversations/:id', (c) => {
    const id = c.req.param('id');
    if (!CONVERSATION_ID_RE.test(id)) throw new ApiFailure(ApiCode.NotFound, 'no such conversation (ids look like conv_<seconds>_<8 hex>)');
    const round = queryInt(c, 'round', 1, 100_000);
    const service = ctx.conversations();
    const eventSeq = ctx.node.store.events.latestSeq();
    const view = service.get(id);
    if (view === null) throw new ApiFailure(ApiCode.NotFound, `no conversation ${id}`);
    const consensus = view.rounds.length === 0 ? null : service.consensus(id, { round });
    return c.json({ ok: true, eventSeq, conversation: view.conversation, rounds: view.rounds, consensus, verdict: view.conversation.verdict });
  });
}
