/**
 * Records a response (or acknowledgement) in the round it correlated to, and moves the round and
 * the conversation on: the round completes at all expected answers or at its quorum, and the
 * conversation follows its current round (complete; for an escalation, resolved, passed on, or
 * unresolved at the last level). Synchronous, store only; the caller holds the transaction.
 */
import type { ConversationRecord, ResponseRecord, RoundRecord } from '../ports/conversation-repo.ts';
import { auditLocal, type ConversationDeps } from './conversation-deps.ts';
import type { CorrelationTarget } from './correlate.ts';
import { asksToEscalate } from './framing.ts';
import type { InboundConversationMessage, InboundConversationResult, ResponseResult } from './inbound-types.ts';
import { answeredAgents, answersNeeded, classifyResponse, isOpenRound, openRoundStatus } from './round-rules.ts';
import { closeRound, setConversationStatus } from './transitions.ts';

interface Settled {
  conversation: ConversationRecord;
  round: RoundRecord;
  escalationPending: boolean;
}

/** The conversation once its current round completed. */
function afterCompletion(deps: ConversationDeps, c: ConversationRecord, r: RoundRecord, answer: ResponseRecord): Settled {
  if (c.type === 'escalation') {
    if (!asksToEscalate(answer.body)) {
      return { conversation: setConversationStatus(deps, c, 'complete', `resolved at level ${r.round} by ${answer.agent}`), round: r, escalationPending: false };
    }
    if (r.round < c.escalationChain.length) return { conversation: c, round: r, escalationPending: true };
    const reason = `unresolved: the last level (${answer.agent}) could not resolve it`;
    return { conversation: setConversationStatus(deps, c, 'closed', reason), round: r, escalationPending: false };
  }
  const answered = answeredAgents(deps.store.conversations.responses(c.id, r.round)).length;
  const reason = answered >= r.expected.length
    ? `round ${r.round}: all ${r.expected.length} answered`
    : `round ${r.round}: quorum of ${answersNeeded(r)} reached (${answered} of ${r.expected.length})`;
  return { conversation: setConversationStatus(deps, c, 'complete', reason), round: r, escalationPending: false };
}

/** Re-evaluates an open round after its answers or its expected list changed. */
export function settleRound(deps: ConversationDeps, c: ConversationRecord, r: RoundRecord, latest: ResponseRecord | null): Settled {
  if (!isOpenRound(r)) return { conversation: c, round: r, escalationPending: false };
  const responses = deps.store.conversations.responses(c.id, r.round);
  const answered = answeredAgents(responses).filter((a) => r.expected.includes(a)).length;
  const status = openRoundStatus(r, answered);
  if (status === r.status) return { conversation: c, round: r, escalationPending: false };
  if (status !== 'complete') {
    const next = { ...r, status };
    deps.store.conversations.updateRound(next);
    return { conversation: c, round: next, escalationPending: false };
  }
  const closed = closeRound(deps, r, 'complete', responses);
  if (c.currentRound !== r.round || c.status !== 'active') return { conversation: c, round: closed, escalationPending: false };
  const answer = latest ?? responses.filter((x) => x.counted).at(-1) ?? null;
  if (answer === null) return { conversation: c, round: closed, escalationPending: false };
  return afterCompletion(deps, c, closed, answer);
}

export function recordResponse(deps: ConversationDeps, target: CorrelationTarget, msg: InboundConversationMessage): InboundConversationResult {
  const { store } = deps;
  const env = msg.envelope;
  const c = target.conversation;
  const r = target.round;
  const existing = store.conversations.response(env.id);
  if (existing !== null) {
    return { outcome: 'already_recorded', conversationId: existing.conversationId, round: existing.round, responseId: env.id };
  }
  const outcome = classifyResponse(c, r, env.from, store.conversations.responses(c.id, r.round));
  const response: ResponseRecord = {
    id: env.id, conversationId: c.id, round: r.round, agent: env.from, correlationId: env.correlationId, body: msg.body,
    receivedAt: deps.clock.now(), auth: msg.auth, correlatedBy: target.method, counted: outcome === 'recorded',
    fromParticipant: outcome !== 'flagged',
  };
  store.conversations.addResponse(response);
  deps.events.emit({
    type: 'response.received', conversationId: c.id, round: r.round, from: env.from, responseId: env.id, outcome,
    counted: response.counted, fromParticipant: response.fromParticipant, method: target.method,
  });
  auditLocal(deps, 'conv_response', {
    conversationId: c.id, id: env.id, from: env.from, to: deps.self, correlationId: env.correlationId,
    detail: `${outcome}: round ${r.round}, via ${target.method}, auth=${msg.auth}`,
  });
  const settled = response.counted ? settleRound(deps, c, r, response) : { conversation: c, round: r, escalationPending: false };
  const conversation = { ...settled.conversation, updatedAt: deps.clock.now() };
  store.conversations.update(conversation);
  const result: ResponseResult = {
    outcome, conversationId: c.id, round: r.round, from: env.from, responseId: env.id, method: target.method,
    counted: response.counted, fromParticipant: response.fromParticipant, roundStatus: settled.round.status,
    conversationStatus: conversation.status, escalationPending: settled.escalationPending,
  };
  return result;
}
