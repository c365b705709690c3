/**
 * Read side: one conversation with its rounds, answers and requests (`mesh conv show`), listings,
 * search, the shared context as the next round would carry it, and the consensus of a round.
 */
import type {
  ConversationRecord, ConversationRequestRecord, ConversationSearch, ConversationStatus, ResponseRecord, RoundRecord,
} from '../ports/conversation-repo.ts';
import { analyseConsensus, type ConsensusAnalysis } from './consensus.ts';
import { invalid, notFound, type ConversationDeps } from './conversation-deps.ts';
import { MAX_SEARCH_QUERY_CHARS } from './conversation-limits.ts';
import { sharedContext } from './round-requests.ts';
import { answeredAgents, targetRound } from './round-rules.ts';

export interface RoundView extends RoundRecord {
  /** Every response recorded for the round (counted, duplicates, flagged, late), in arrival order. */
  responses: ResponseRecord[];
  /** The requests sent in the round and how their delivery went. */
  requests: ConversationRequestRecord[];
  /** Expected agents with a counted answer, and those without. */
  answered: string[];
  missing: string[];
}

export interface ConversationView {
  conversation: ConversationRecord;
  rounds: RoundView[];
}

export function getView(deps: ConversationDeps, id: string): ConversationView | null {
  const repo = deps.store.conversations;
  return deps.store.transaction(() => {
    const conversation = repo.get(id);
    if (conversation === null) return null;
    const responses = repo.responses(id);
    const requests = repo.requests(id);
    const rounds = repo.rounds(id).map((r): RoundView => {
      const mine = responses.filter((x) => x.round === r.round);
      const answered = answeredAgents(mine);
      return {
        ...r, responses: mine, requests: requests.filter((q) => q.round === r.round),
        answered: r.expected.filter((a) => answered.includes(a)), missing: r.expected.filter((a) => !answered.includes(a)),
      };
    });
    return { conversation, rounds };
  });
}

/** Statuses `mesh conv list` shows without --all (bash hides closed and cancelled). */
export const LISTED_STATUSES: readonly ConversationStatus[] = ['active', 'complete', 'timeout'];

export function list(deps: ConversationDeps, opts: { all?: boolean; limit?: number } = {}): ConversationRecord[] {
  return deps.store.conversations.search({
    ...(opts.all === true ? {} : { status: LISTED_STATUSES }), ...(opts.limit === undefined ? {} : { limit: opts.limit }),
  });
}

export function search(deps: ConversationDeps, filter: ConversationSearch): ConversationRecord[] {
  if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 0)) throw invalid('limit must be a whole number ≥ 0', 'limit');
  if (filter.query !== undefined && filter.query.length > MAX_SEARCH_QUERY_CHARS) {
    throw invalid(`the search text is longer than ${MAX_SEARCH_QUERY_CHARS} characters`, 'query');
  }
  return deps.store.conversations.search(filter);
}

/** The shared context of every round so far, as the next round's requests would carry it ('' before round 2 exists). */
export function contextOf(deps: ConversationDeps, id: string): string {
  return deps.store.transaction(() => {
    const c = deps.store.conversations.get(id);
    if (c === null) throw notFound(id);
    return sharedContext(deps, c, c.currentRound + 1).text;
  });
}

export interface ConsensusReport extends ConsensusAnalysis {
  conversationId: string;
  /** The round analysed; null when the conversation has none. */
  round: number | null;
}

/** bash's `mesh-consensus.sh <conv> [--round N]` over the counted answers, plus majority and dissenters. */
export function consensusOf(deps: ConversationDeps, id: string, opts: { round?: number | undefined } = {}): ConsensusReport {
  const repo = deps.store.conversations;
  return deps.store.transaction(() => {
    const c = repo.get(id);
    if (c === null) throw notFound(id);
    const rounds = repo.rounds(c.id);
    const r = targetRound(rounds, opts.round);
    if (r === null && opts.round !== undefined) throw invalid(`conversation ${c.id} has no round ${opts.round}`, 'round');
    const answers = r === null ? [] : repo.responses(c.id, r.round).filter((x) => x.counted);
    return { conversationId: c.id, round: r?.round ?? null, ...analyseConsensus(answers.map((x) => ({ agent: x.agent, body: x.body }))) };
  });
}
