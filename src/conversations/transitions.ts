/**
 * State changes of conversations and rounds, each written with its event and audit entry. Callers
 * hold a store transaction, so the change, its event and its audit line commit together.
 */
import type {
  ConversationRecord, ConversationStatus, ResponseRecord, RoundRecord,
} from '../ports/conversation-repo.ts';
import { auditLocal, type ConversationDeps } from './conversation-deps.ts';
import { answeredAgents } from './round-rules.ts';

/** Sets the conversation's status (and reason), stores it, and reports the change. Returns the new record. */
export function setConversationStatus(
  deps: ConversationDeps, c: ConversationRecord, status: ConversationStatus, reason: string | null,
): ConversationRecord {
  const next: ConversationRecord = { ...c, status, statusReason: reason, updatedAt: deps.clock.now() };
  deps.store.conversations.update(next);
  deps.events.emit({ type: 'conversation.status', conversationId: c.id, status, reason });
  auditLocal(deps, 'conv_status', { conversationId: c.id, detail: reason === null ? status : `${status}: ${reason}` });
  return next;
}

/** Closes a round as complete, superseded or timeout, keeping its answers. Returns the new record. */
export function closeRound(
  deps: ConversationDeps, r: RoundRecord, status: 'complete' | 'superseded' | 'timeout', responses?: readonly ResponseRecord[],
): RoundRecord {
  const now = deps.clock.now();
  const next: RoundRecord = { ...r, status, closedAt: now };
  deps.store.conversations.updateRound(next);
  const answered = answeredAgents(responses ?? deps.store.conversations.responses(r.conversationId, r.round)).length;
  deps.events.emit({
    type: 'round.closed', conversationId: r.conversationId, round: r.round, status, answered, expected: r.expected.length,
  });
  auditLocal(deps, 'conv_round_closed', {
    conversationId: r.conversationId, detail: `round ${r.round} ${status}: ${answered} of ${r.expected.length} answered`,
  });
  return next;
}

/** Stores a new round and reports it. */
export function openRoundRecord(deps: ConversationDeps, r: RoundRecord): void {
  deps.store.conversations.addRound(r);
  deps.events.emit({
    type: 'round.opened', conversationId: r.conversationId, round: r.round, expected: [...r.expected], quorum: r.quorum,
    deadline: r.deadline,
  });
}

/** Stores a new conversation and reports it. */
export function openConversationRecord(deps: ConversationDeps, c: ConversationRecord): boolean {
  if (!deps.store.conversations.create(c)) return false;
  deps.events.emit({
    type: 'conversation.opened', conversationId: c.id, conversationType: c.type, role: c.role, initiator: c.initiator,
    participants: [...c.participants],
  });
  return true;
}
