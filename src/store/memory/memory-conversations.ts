import type { JsonValue } from '../../protocol/json.ts';
import type {
  ConversationRecord, ConversationRepo, EventLog, MeshEventRecord, ResponseRecord, RoundRecord, SessionMessage,
  SessionRecord, SessionRepo,
} from '../../ports/store.ts';
import { jsonRoundTrip, take } from './memory-journal.ts';
import type { MemCounter, MemTable } from './memory-journal.ts';

const copyConversation = (c: ConversationRecord): ConversationRecord =>
  ({ ...c, participants: [...c.participants], data: jsonRoundTrip(c.data) });
const roundKey = (conversationId: string, round: number): string => JSON.stringify([conversationId, round]);
const responseKey = (r: ResponseRecord): string => JSON.stringify([r.conversationId, r.round, r.agent]);

export class MemoryConversationRepo implements ConversationRepo {
  readonly #conversations: MemTable<ConversationRecord>;
  readonly #rounds: MemTable<RoundRecord>;
  readonly #responses: MemTable<ResponseRecord>;

  constructor(conversations: MemTable<ConversationRecord>, rounds: MemTable<RoundRecord>, responses: MemTable<ResponseRecord>) {
    this.#conversations = conversations;
    this.#rounds = rounds;
    this.#responses = responses;
  }

  create(c: ConversationRecord): boolean {
    if (this.#conversations.has(c.id)) return false;
    this.#conversations.set(c.id, copyConversation(c));
    return true;
  }

  get(id: string): ConversationRecord | null {
    const c = this.#conversations.get(id);
    return c === undefined ? null : copyConversation(c);
  }

  update(c: ConversationRecord): void {
    if (this.#conversations.has(c.id)) this.#conversations.set(c.id, copyConversation(c));
  }

  list(filter: { status?: string; agent?: string; kind?: string; since?: number; limit?: number } = {}): ConversationRecord[] {
    const rows = this.#conversations.values().filter((c) =>
      (filter.status === undefined || c.status === filter.status) &&
      (filter.kind === undefined || c.kind === filter.kind) &&
      (filter.agent === undefined || c.initiator === filter.agent || c.participants.includes(filter.agent)) &&
      (filter.since === undefined || c.createdAt >= filter.since));
    return take(rows.sort((a, b) => a.createdAt - b.createdAt), filter.limit).map(copyConversation);
  }

  putRound(r: RoundRecord): void {
    this.#rounds.set(roundKey(r.conversationId, r.round), { ...r });
  }

  rounds(conversationId: string): RoundRecord[] {
    return this.#rounds.values()
      .filter((r) => r.conversationId === conversationId)
      .sort((a, b) => a.round - b.round)
      .map((r) => ({ ...r }));
  }

  addResponse(r: ResponseRecord): boolean {
    const key = responseKey(r);
    if (this.#responses.has(key)) return false;
    this.#responses.set(key, { ...r });
    return true;
  }

  responses(conversationId: string, round?: number): ResponseRecord[] {
    return this.#responses.values()
      .filter((r) => r.conversationId === conversationId && (round === undefined || r.round === round))
      .sort((a, b) => a.round - b.round || a.receivedAt - b.receivedAt)
      .map((r) => ({ ...r }));
  }
}

export type StoredSessionMessage = SessionMessage & { id: number };

export class MemorySessionRepo implements SessionRepo {
  readonly #sessions: MemTable<SessionRecord>;
  readonly #messages: MemTable<StoredSessionMessage>;
  readonly #ids: MemCounter;

  constructor(sessions: MemTable<SessionRecord>, messages: MemTable<StoredSessionMessage>, ids: MemCounter) {
    this.#sessions = sessions;
    this.#messages = messages;
    this.#ids = ids;
  }

  put(s: SessionRecord): void {
    this.#sessions.set(s.key, { ...s, participants: [...s.participants] });
  }

  get(key: string): SessionRecord | null {
    const s = this.#sessions.get(key);
    return s === undefined ? null : { ...s, participants: [...s.participants] };
  }

  list(filter: { status?: string } = {}): SessionRecord[] {
    return this.#sessions.values()
      .filter((s) => filter.status === undefined || s.status === filter.status)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((s) => ({ ...s, participants: [...s.participants] }));
  }

  appendMessage(m: SessionMessage, keep: number): void {
    const id = this.#ids.next();
    this.#messages.set(String(id), { ...m, id });
    const mine = this.#of(m.sessionKey);
    const excess = mine.length - Math.max(0, Math.floor(keep));
    for (const old of mine.slice(0, Math.max(0, excess))) this.#messages.delete(String(old.id));
  }

  messages(key: string, limit?: number): SessionMessage[] {
    const mine = this.#of(key);
    const newest = limit === undefined ? mine : mine.slice(Math.max(0, mine.length - Math.max(0, Math.floor(limit))));
    return newest.map(({ id: _id, ...m }) => m);
  }

  delete(key: string): boolean {
    const hadSession = this.#sessions.delete(key);
    const mine = this.#of(key);
    for (const m of mine) this.#messages.delete(String(m.id));
    return hadSession || mine.length > 0;
  }

  #of(key: string): StoredSessionMessage[] {
    return this.#messages.values().filter((m) => m.sessionKey === key);
  }
}

export class MemoryEventLog implements EventLog {
  readonly #rows: MemTable<MeshEventRecord>;
  readonly #seq: MemCounter;

  constructor(rows: MemTable<MeshEventRecord>, seq: MemCounter) {
    this.#rows = rows;
    this.#seq = seq;
  }

  append(type: string, data: JsonValue, ts: number): number {
    const stored = jsonRoundTrip(data);
    const seq = this.#seq.next();
    this.#rows.set(String(seq), { seq, ts, type, data: stored });
    return seq;
  }

  after(afterSeq: number, limit?: number): MeshEventRecord[] {
    const rows = this.#rows.values().filter((e) => e.seq > afterSeq);
    return take(rows, limit).map((e) => ({ ...e, data: jsonRoundTrip(e.data) }));
  }

  latestSeq(): number {
    return this.#seq.value;
  }

  prune(before: number): number {
    const doomed = this.#rows.values().filter((e) => e.ts < before);
    for (const e of doomed) this.#rows.delete(String(e.seq));
    return doomed.length;
  }
}
