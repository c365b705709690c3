import type { JsonValue } from '../../protocol/json.ts';
import { isTerminalTaskState, type A2ATaskEvent, type A2ATaskFilter, type A2ATaskRecord, type A2ATaskRepo, type A2ATaskState, type RemoteTaskRecord } from '../../ports/a2a-tasks.ts';
import type { MemCounter, MemTable } from './memory-journal.ts';

const jsonCopy = (v: JsonValue): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue;
const newestFirst = (a: A2ATaskRecord, b: A2ATaskRecord): number => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

function matches(t: A2ATaskRecord, f: Omit<A2ATaskFilter, 'limit'>): boolean {
  if (t.client !== f.client) return false;
  if (f.contextId !== undefined && t.contextId !== f.contextId) return false;
  if (f.state !== undefined && t.state !== f.state) return false;
  if (f.after !== undefined && !(t.createdAt < f.after.createdAt || (t.createdAt === f.after.createdAt && t.id < f.after.id))) return false;
  return true;
}

export class MemoryA2ATaskRepo implements A2ATaskRepo {
  readonly #tasks: MemTable<A2ATaskRecord>;
  readonly #events: MemTable<A2ATaskEvent>;
  readonly #seq: MemCounter;

  readonly #remote: MemTable<RemoteTaskRecord>;

  constructor(tasks: MemTable<A2ATaskRecord>, events: MemTable<A2ATaskEvent>, seq: MemCounter, remote: MemTable<RemoteTaskRecord>) {
    this.#tasks = tasks;
    this.#events = events;
    this.#seq = seq;
    this.#remote = remote;
  }

  followRemote(r: RemoteTaskRecord): void {
    this.#remote.set(r.messageId, { ...r });
  }

  dueRemote(now: number, limit: number): RemoteTaskRecord[] {
    return this.#remote.values().filter((r) => r.nextCheckAt <= now).sort((a, b) => a.nextCheckAt - b.nextCheckAt).slice(0, limit).map((r) => ({ ...r }));
  }

  rescheduleRemote(messageId: string, nextCheckAt: number): void {
    const r = this.#remote.get(messageId);
    if (r !== undefined) this.#remote.set(messageId, { ...r, nextCheckAt });
  }

  dropRemote(messageId: string): boolean {
    return this.#remote.delete(messageId);
  }

  insert(t: A2ATaskRecord): { inserted: true } | { inserted: false; existing: A2ATaskRecord } {
    const existing = this.#tasks.values().find((x) => x.client === t.client && x.messageId === t.messageId);
    if (existing !== undefined) return { inserted: false, existing: { ...existing } };
    this.#tasks.set(t.id, { ...t });
    return { inserted: true };
  }

  get(id: string): A2ATaskRecord | null {
    const t = this.#tasks.get(id);
    return t === undefined ? null : { ...t };
  }

  byInboxId(inboxId: string): A2ATaskRecord | null {
    const t = this.#tasks.values().find((x) => x.inboxId === inboxId);
    return t === undefined ? null : { ...t };
  }

  list(f: A2ATaskFilter): A2ATaskRecord[] {
    return this.#tasks.values().filter((t) => matches(t, f)).sort(newestFirst).slice(0, f.limit).map((t) => ({ ...t }));
  }

  count(f: Omit<A2ATaskFilter, 'after' | 'limit'>): number {
    return this.#tasks.values().filter((t) => matches(t, f)).length;
  }

  transition(id: string, from: readonly A2ATaskState[], to: A2ATaskState, fields: { resultText?: string; statusText?: string }, now: number): boolean {
    const t = this.#tasks.get(id);
    if (t === undefined || !from.includes(t.state)) return false;
    this.#tasks.set(id, { ...t, state: to, resultText: fields.resultText ?? t.resultText, statusText: fields.statusText ?? t.statusText, updatedAt: now });
    return true;
  }

  appendEvent(taskId: string, data: JsonValue, ts: number): number {
    const seq = this.#seq.next();
    this.#events.set(String(seq), { seq, taskId, ts, data: jsonCopy(data) });
    return seq;
  }

  events(taskId: string, afterSeq: number, limit = 1000): A2ATaskEvent[] {
    return this.eventsAfter(afterSeq, Number.MAX_SAFE_INTEGER).filter((e) => e.taskId === taskId).slice(0, limit);
  }

  eventsAfter(afterSeq: number, limit = 1000): A2ATaskEvent[] {
    return this.#events.values().filter((e) => e.seq > afterSeq).sort((a, b) => a.seq - b.seq).slice(0, limit)
      .map((e) => ({ ...e, data: jsonCopy(e.data) }));
  }

  latestEventSeq(): number {
    return this.#seq.value;
  }

  prune(before: number): number {
    const doomed = this.#tasks.values().filter((t) => t.updatedAt < before && isTerminalTaskState(t.state));
    const ids = new Set(doomed.map((t) => t.id));
    for (const e of this.#events.values()) if (ids.has(e.taskId)) this.#events.delete(String(e.seq));
    for (const t of doomed) this.#tasks.delete(t.id);
    return doomed.length;
  }
}
