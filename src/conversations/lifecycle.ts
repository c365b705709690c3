/**
 * Conversations over time (what the daemon's scheduler drives, with the injected clock):
 *  - a round past its deadline closes as `timeout`, keeping the answers it got; the conversation
 *    then times out too, unless it is an escalation with levels left, which asks the next level;
 *  - a conversation past its deadline times out (participant-side records included);
 *  - by hand: complete (the open round completes), close, cancel, each with a reason;
 *  - cleanup deletes finished conversations not updated for N days; stats count them.
 */
import type {
  ConversationRecord, ConversationStats, ConversationStatus,
} from '../ports/conversation-repo.ts';
import { auditLocal, invalid, invalidState, notFound, type ConversationDeps } from './conversation-deps.ts';
import { MAX_REASON_CHARS, TICK_BATCH } from './conversation-limits.ts';
import { advanceEscalation, type EscalationStep } from './open-round.ts';
import { escalationWaiting } from './round-requests.ts';
import { answeredAgents, isOpenRound } from './round-rules.ts';
import { closeRound, setConversationStatus } from './transitions.ts';

const DAY_MS = 86_400_000;

export interface TickResult {
  roundsTimedOut: { conversationId: string; round: number; answered: number; expected: number }[];
  conversationsTimedOut: string[];
  escalated: EscalationStep[];
}

/** What the time-out of `c` (whose current round may have just closed) does; returns the escalation to advance, if any. */
function expire(deps: ConversationDeps, id: string, now: number, result: TickResult): { id: string; round: number } | null {
  return deps.store.transaction(() => {
    const repo = deps.store.conversations;
    let c = repo.get(id);
    if (c === null || c.status !== 'active') return null;
    let r = repo.round(c.id, c.currentRound);
    if (r !== null && isOpenRound(r) && r.deadline <= now) {
      const responses = repo.responses(c.id, r.round);
      r = closeRound(deps, r, 'timeout', responses);
      const answered = answeredAgents(responses).length;
      result.roundsTimedOut.push({ conversationId: c.id, round: r.round, answered, expected: r.expected.length });
    }
    if (r !== null && escalationWaiting(c, r, deps)) return { id: c.id, round: r.round };
    if (c.deadline > now) return null;
    const reason = r === null ? 'past its deadline'
      : `round ${r.round} timed out with ${answeredAgents(repo.responses(c.id, r.round)).length} of ${r.expected.length} answers`;
    c = setConversationStatus(deps, c, 'timeout', reason);
    result.conversationsTimedOut.push(c.id);
    return null;
  });
}

/** One scheduler pass at `now`. May send (an escalation's next level). */
export async function tick(deps: ConversationDeps, now: number = deps.clock.now()): Promise<TickResult> {
  const result: TickResult = { roundsTimedOut: [], conversationsTimedOut: [], escalated: [] };
  const advance: { id: string; round: number }[] = [];
  for (const c of deps.store.conversations.active(TICK_BATCH)) {
    if (c.deadline > now && !(c.type === 'escalation' && c.role === 'initiator')) continue;
    const next = expire(deps, c.id, now, result);
    if (next !== null) advance.push(next);
  }
  for (const a of advance) result.escalated.push(...await advanceEscalation(deps, a.id, a.round));
  return result;
}

/** When `tick` next has something to do (now, for an escalation waiting to advance); null when nothing is active. */
export function nextDueAt(deps: ConversationDeps): number | null {
  const repo = deps.store.conversations;
  let due: number | null = null;
  for (const c of repo.active(TICK_BATCH)) {
    const r = repo.round(c.id, c.currentRound);
    const at = r !== null && escalationWaiting(c, r, deps) ? deps.clock.now() : c.deadline;
    due = due === null ? at : Math.min(due, at);
  }
  return due;
}

export type ManualStatus = Extract<ConversationStatus, 'complete' | 'closed' | 'cancelled'>;

const DEFAULT_REASON: Readonly<Record<ManualStatus, string>> = { complete: 'Completed', closed: 'Resolved', cancelled: 'Cancelled' };

/** `mesh conv complete|close|cancel <id> [reason]`. A closed or cancelled conversation stays so. */
export function setStatus(deps: ConversationDeps, id: string, status: ManualStatus, reason?: string): ConversationRecord {
  const why = reason === undefined || reason.trim() === '' ? DEFAULT_REASON[status] : reason;
  if (why.length > MAX_REASON_CHARS || /\p{Cc}/u.test(why)) throw invalid(`the reason must be one line of at most ${MAX_REASON_CHARS} characters`, 'reason');
  return deps.store.transaction(() => {
    const c = deps.store.conversations.get(id);
    if (c === null) throw notFound(id);
    if (c.status === 'closed' || c.status === 'cancelled') throw invalidState(`conversation ${c.id} is already ${c.status}`, c.id);
    if (status === 'complete') {
      const r = deps.store.conversations.round(c.id, c.currentRound);
      if (r !== null && isOpenRound(r)) closeRound(deps, r, 'complete');
    }
    return setConversationStatus(deps, c, status, why);
  });
}

/** Deletes finished conversations last updated more than `days` ago; returns their ids. */
export function cleanup(deps: ConversationDeps, days: number): string[] {
  if (!Number.isFinite(days) || days < 0) throw invalid('days must be a non-negative number', 'days');
  return deps.store.transaction(() => {
    const ids = deps.store.conversations.deleteTerminal(deps.clock.now() - days * DAY_MS);
    for (const id of ids) auditLocal(deps, 'conv_cleanup', { conversationId: id, detail: `deleted: finished more than ${days} day(s) ago` });
    return ids;
  });
}

export interface ConversationStatsView extends ConversationStats {
  /** countedAnswers / expectedAnswers; null when no answer was expected. */
  responseRate: number | null;
}

export function stats(deps: ConversationDeps): ConversationStatsView {
  const s = deps.store.conversations.stats();
  return { ...s, responseRate: s.expectedAnswers === 0 ? null : s.countedAnswers / s.expectedAnswers };
}
