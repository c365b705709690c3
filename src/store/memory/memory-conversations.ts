import type {
  ConversationRecord, ConversationRepo, ConversationRequestRecord, ConversationSearch, ConversationStats, CurrentRoundDigest, RequestDelivery,
  ResponseRecord, RoundRecord,
} from '../../ports/conversation-repo.ts';
import { TERMINAL_CONVERSATION_STATUSES } from '../../ports/conversation-repo.ts';
import { countBy, take } from './memory-journal.ts';
import type { MemTable } from './memory-journal.ts';

const copyConversation = (c: ConversationRecord): ConversationRecord => ({
  ...c,
  participants: [...c.participants],
  escalationChain: [...c.escalationChain],
  labels: c.labels.map((l) => ({ ...l })),
  verdict: c.verdict === null ? null : { ...c.verdict, basis: c.verdict.basis.map((b) => ({ ...b })) },
});
const copyRound = (r: RoundRecord): RoundRecord => ({ ...r, expected: [...r.expected] });
const roundKey = (conversationId: string, round: number): string => JSON.stringify([conversationId, round]);

export interface MemoryConversationTables {
  conversations: MemTable<ConversationRecord>;
  rounds: MemTable<RoundRecord>;
  responses: MemTable<ResponseRecord>;
  requests: MemTable<ConversationRequestRecord>;
}

/**
 * Conversations in memory: the same contract as the SQLite adapter, with a case-insensitive
 * substring where SQLite uses full-text search.
 */
export class MemoryConversationRepo implements ConversationRepo {
  readonly #t: MemoryConversationTables;

  constructor(tables: MemoryConversationTables) {
    this.#t = tables;
  }

  create(c: ConversationRecord): boolean {
    if (this.#t.conversations.has(c.id)) return false;
    this.#t.conversations.set(c.id, copyConversation(c));
    return true;
  }

  get(id: string): ConversationRecord | null {
    const c = this.#t.conversations.get(id);
    return c === undefined ? null : copyConversation(c);
  }

  update(c: ConversationRecord): void {
    if (this.#t.conversations.has(c.id)) this.#t.conversations.set(c.id, copyConversation(c));
  }

  search(filter: ConversationSearch = {}): ConversationRecord[] {
    const statuses: readonly string[] | null = filter.status === undefined ? null
      : typeof filter.status === 'string' ? [filter.status] : filter.status;
    const query = filter.query?.trim().toLowerCase() ?? '';
    const rows = this.#t.conversations.values().filter((c) =>
      (statuses === null || statuses.includes(c.status)) &&
      (filter.type === undefined || c.type === filter.type) &&
      (filter.role === undefined || c.role === filter.role) &&
      (filter.since === undefined || c.createdAt >= filter.since) &&
      (filter.agent === undefined || c.initiator === filter.agent || c.participants.includes(filter.agent)) &&
      (query === '' || this.#mentions(c.id, query)));
    // Newest first; among equal times the later inserted first, like ORDER BY created_at DESC, rowid DESC.
    const newest = rows.reverse().sort((a, b) => b.createdAt - a.createdAt);
    return take(newest, filter.limit).map(copyConversation);
  }

  active(limit?: number): ConversationRecord[] {
    const rows = this.#t.conversations.values().filter((c) => c.status === 'active').sort((a, b) => a.deadline - b.deadline);
    return take(rows, limit).map(copyConversation);
  }

  deleteTerminal(before: number): string[] {
    const doomed = this.#t.conversations.values()
      .filter((c) => TERMINAL_CONVERSATION_STATUSES.includes(c.status) && c.updatedAt < before)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((c) => c.id);
    const gone = new Set(doomed);
    for (const r of this.#t.rounds.values()) if (gone.has(r.conversationId)) this.#t.rounds.delete(roundKey(r.conversationId, r.round));
    for (const r of this.#t.responses.values()) if (gone.has(r.conversationId)) this.#t.responses.delete(r.id);
    for (const r of this.#t.requests.values()) if (gone.has(r.conversationId)) this.#t.requests.delete(r.id);
    for (const id of doomed) this.#t.conversations.delete(id);
    return doomed;
  }

  stats(): ConversationStats {
    const all = this.#t.conversations.values();
    const initiated = new Set(all.filter((c) => c.role === 'initiator').map((c) => c.id));
    return {
      byStatus: countBy(all, (c) => c.status),
      byType: countBy(all, (c) => c.type),
      byRole: countBy(all, (c) => c.role),
      expectedAnswers: this.#t.rounds.values()
        .filter((r) => initiated.has(r.conversationId)).reduce((n, r) => n + r.expected.length, 0),
      countedAnswers: this.#t.responses.values().filter((r) => r.counted && initiated.has(r.conversationId)).length,
    };
  }

  addRound(r: RoundRecord): boolean {
    const key = roundKey(r.conversationId, r.round);
    if (this.#t.rounds.has(key)) return false;
    this.#t.rounds.set(key, copyRound(r));
    return true;
  }

  updateRound(r: RoundRecord): void {
    const key = roundKey(r.conversationId, r.round);
    const old = this.#t.rounds.get(key);
    if (old === undefined) return;
    this.#t.rounds.set(key, {
      ...old, deadline: r.deadline, expected: [...r.expected], quorum: r.quorum, status: r.status, closedAt: r.closedAt,
    });
  }

  round(conversationId: string, round: number): RoundRecord | null {
    const r = this.#t.rounds.get(roundKey(conversationId, round));
    return r === undefined ? null : copyRound(r);
  }

  currentRounds(conversationIds: readonly string[]): CurrentRoundDigest[] {
    const out: CurrentRoundDigest[] = [];
    for (const id of new Set(conversationIds)) {
      const c = this.#t.conversations.get(id);
      const r = c === undefined ? undefined : this.#t.rounds.get(roundKey(id, c.currentRound));
      if (r === undefined) continue;
      const responses = this.#t.responses.values().filter((x) => x.conversationId === id && x.round === r.round);
      out.push({ round: copyRound(r), answered: [...new Set(responses.filter((x) => x.counted).map((x) => x.agent))], responses: responses.length });
    }
    return out;
  }

  rounds(conversationId: string): RoundRecord[] {
    return this.#t.rounds.values()
      .filter((r) => r.conversationId === conversationId)
      .sort((a, b) => a.round - b.round)
      .map(copyRound);
  }

  addResponse(r: ResponseRecord): boolean {
    if (this.#t.responses.has(r.id)) return false;
    this.#t.responses.set(r.id, { ...r });
    return true;
  }

  response(id: string): ResponseRecord | null {
    const r = this.#t.responses.get(id);
    return r === undefined ? null : { ...r };
  }

  responses(conversationId: string, round?: number): ResponseRecord[] {
    return this.#t.responses.values()
      .filter((r) => r.conversationId === conversationId && (round === undefined || r.round === round))
      .sort((a, b) => a.round - b.round || a.receivedAt - b.receivedAt)
      .map((r) => ({ ...r }));
  }

  putRequest(r: ConversationRequestRecord): void {
    this.#t.requests.set(r.id, { ...r });
  }

  request(id: string): ConversationRequestRecord | null {
    const r = this.#t.requests.get(id);
    return r === undefined ? null : { ...r };
  }

  requests(conversationId: string, round?: number): ConversationRequestRecord[] {
    return this.#t.requests.values()
      .filter((r) => r.conversationId === conversationId && (round === undefined || r.round === round))
      .sort((a, b) => a.round - b.round || a.createdAt - b.createdAt)
      .map((r) => ({ ...r }));
  }

  setRequestDelivery(id: string, delivery: RequestDelivery, error: string | null): void {
    const r = this.#t.requests.get(id);
    if (r !== undefined) this.#t.requests.set(id, { ...r, delivery, error });
  }

  /** Some round question or response body of the conversation contains `needle` (lowercase). */
  #mentions(conversationId: string, needle: string): boolean {
    return this.#t.rounds.values().some((r) => r.conversationId === conversationId && r.question.toLowerCase().includes(needle)) ||
      this.#t.responses.values().some((r) => r.conversationId === conversationId && r.body.toLowerCase().includes(needle));
  }
}
