import type { JsonValue } from '../../protocol/json.ts';
import type { EventLog, MeshEventRecord, SessionMessage, SessionRecord, SessionRepo } from '../../ports/store.ts';
import { jsonRoundTrip, take } from './memory-journal.ts';
import type { MemCounter, MemTable } from './memory-journal.ts';

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
