/**
 * The rules of a round, as pure functions over its records (bash §6.4 semantics, fixed):
 *  - a response counts when it is the first of an expected participant in a round that is still
 *    taking answers (pending, partial, or complete by quorum); later ones are kept, not counted;
 *  - a round completes when every expected participant answered, or at its quorum k;
 *  - a round past its deadline closes as `timeout`, keeping the answers it got.
 */
import type { ConversationRecord, ResponseRecord, RoundRecord, RoundStatus } from '../ports/conversation-repo.ts';
import type { ResponseOutcome } from '../protocol/events.ts';

export const isOpenRound = (r: RoundRecord): boolean => r.status === 'pending' || r.status === 'partial';

/** How many answers complete the round: its quorum (never more than expected), else all expected. */
export function answersNeeded(r: RoundRecord): number {
  return r.quorum === null ? r.expected.length : Math.min(r.quorum, r.expected.length);
}

/** Agents with a counted answer in the round. */
export function answeredAgents(responses: readonly ResponseRecord[]): string[] {
  return [...new Set(responses.filter((x) => x.counted).map((x) => x.agent))];
}

/** Status of an open round once `answered` expected participants have answered. */
export function openRoundStatus(r: RoundRecord, answered: number): RoundStatus {
  if (answered >= answersNeeded(r)) return 'complete';
  return answered > 0 ? 'partial' : 'pending';
}

/**
 * What a new response from `agent` becomes in `round` of `c`, given the responses the round already
 * has. Decided in this order: non-participant → flagged; round or conversation closed → late;
 * participant the round does not wait for → not_expected; already answered → duplicate; else counted.
 */
export function classifyResponse(
  c: ConversationRecord, round: RoundRecord, agent: string, existing: readonly ResponseRecord[],
): ResponseOutcome {
  if (!c.participants.includes(agent)) return 'flagged';
  const roundTakesAnswers = isOpenRound(round) || round.status === 'complete';
  if (!roundTakesAnswers || c.status === 'closed' || c.status === 'cancelled') return 'late';
  if (!round.expected.includes(agent)) return 'not_expected';
  if (existing.some((x) => x.counted && x.agent === agent)) return 'duplicate';
  return 'recorded';
}

/**
 * The round a consensus or verdict is about (bash §6.6): the one asked for, else the last round that
 * closed (complete, superseded or timed out), else the last round. Null when there is none.
 */
export function targetRound(rounds: readonly RoundRecord[], requested?: number): RoundRecord | null {
  if (requested !== undefined) return rounds.find((r) => r.round === requested) ?? null;
  const closed = rounds.filter((r) => !isOpenRound(r));
  return closed.at(-1) ?? rounds.at(-1) ?? null;
}
