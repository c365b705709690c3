/**
 * Response ingestion through the local API (`POST /api/mesh/response`): after a bash node sends a
 * `response` that carries a conversation id, it also posts `{"conversationId","from","body","ts"}` to
 * the initiator's port 8880 (bash-mesh-behavior.md §11.2, §14 F), with no authentication.
 *
 * Such a post proves nothing about who wrote it, so it is recorded in the conversation's current
 * round as an **unverified** response (auth `none`, correlated by `api`, `counted: false`): shown with
 * the round, never counted towards completion, consensus, verdict bases or shared context. The
 * verified MESH response that the same bash node sends to our hooks counts as usual, whichever of
 * the two arrives first, so an answer never counts twice and an unauthenticated post never decides
 * anything. A second post for the same agent and round is acknowledged and not stored again.
 * Synchronous, store only.
 */
import type { ResponseRecord } from '../ports/conversation-repo.ts';
import { CONVERSATION_ID_RE } from '../protocol/ids.ts';
import { auditLocal, invalid, notFound, type ConversationDeps } from './conversation-deps.ts';

/** bash posts the first 500 characters; anything far beyond that is not a side-channel post. */
export const MAX_SIDE_CHANNEL_BODY_CHARS = 8000;

export interface SideChannelResponse {
  conversationId: string;
  /** The agent the post claims wrote the answer (not verified). */
  from: string;
  body: string;
}

export interface SideChannelResult {
  /** `recorded`: stored now; `already_recorded`: this agent's post for the round was stored before. */
  outcome: 'recorded' | 'already_recorded';
  conversationId: string;
  round: number;
  from: string;
  responseId: string;
}

export function recordSideChannelResponse(deps: ConversationDeps, input: SideChannelResponse): SideChannelResult {
  if (!CONVERSATION_ID_RE.test(input.conversationId)) throw notFound(input.conversationId);
  if ([...input.body].length > MAX_SIDE_CHANNEL_BODY_CHARS) throw invalid(`the body is longer than ${MAX_SIDE_CHANNEL_BODY_CHARS} characters`, 'body');
  const repo = deps.store.conversations;
  return deps.store.transaction(() => {
    const c = repo.get(input.conversationId);
    // Only conversations this node asked: a participant node has no round waiting for answers.
    if (c === null || c.role !== 'initiator') throw notFound(input.conversationId);
    if (!c.participants.includes(input.from)) throw invalid(`${input.from} is not a participant of ${c.id}`, 'from');
    const round = c.currentRound;
    const earlier = repo.responses(c.id, round).find((r) => r.agent === input.from && r.correlatedBy === 'api');
    if (earlier !== undefined) {
      return { outcome: 'already_recorded', conversationId: c.id, round, from: input.from, responseId: earlier.id };
    }
    const response: ResponseRecord = {
      id: `api_${deps.ids.hex(16)}`, conversationId: c.id, round, agent: input.from, correlationId: null, body: input.body,
      receivedAt: deps.clock.now(), auth: 'none', correlatedBy: 'api', counted: false, fromParticipant: true,
    };
    repo.addResponse(response);
    repo.update({ ...c, updatedAt: deps.clock.now() });
    deps.events.emit({
      type: 'response.received', conversationId: c.id, round, from: input.from, responseId: response.id, outcome: 'unverified',
      counted: false, fromParticipant: true, method: 'api',
    });
    auditLocal(deps, 'conv_response', {
      conversationId: c.id, id: response.id, from: input.from, to: deps.self,
      detail: `unverified: round ${round}, via api (side channel), auth=none`,
    });
    return { outcome: 'recorded', conversationId: c.id, round, from: input.from, responseId: response.id };
  });
}
