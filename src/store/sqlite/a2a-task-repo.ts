import type { JsonValue } from '../../protocol/json.ts';
import type { A2ATaskEvent, A2ATaskFilter, A2ATaskRecord, A2ATaskRepo, A2ATaskState, RemoteTaskRecord } from '../../ports/a2a-tasks.ts';
import { jsonText, parseJsonText } from './json-columns.ts';
import type { SqliteDb } from './sqlite-db.ts';

interface TaskRow {
  id: string; context_id: string; client: string; message_id: string; inbox_id: string; state: string; request: string;
  result_text: string | null; status_text: string | null; created_at: number; updated_at: number;
}
interface EventRow { seq: number; task_id: string; ts: number; data: string }

const TERMINAL_SQL = "('TASK_STATE_COMPLETED','TASK_STATE_FAILED','TASK_STATE_CANCELED','TASK_STATE_REJECTED')";

const taskOf = (r: TaskRow): A2ATaskRecord => ({
  id: r.id, contextId: r.context_id, client: r.client, messageId: r.message_id, inboxId: r.inbox_id,
  state: r.state as A2ATaskState, request: r.request, resultText: r.result_text, statusText: r.status_text,
  createdAt: r.created_at, updatedAt: r.updated_at,
});
const eventOf = (r: EventRow): A2ATaskEvent => ({ seq: r.seq, taskId: r.task_id, ts: r.ts, data: parseJsonText(r.data) });

function where(f: Omit<A2ATaskFilter, 'limit'>): { sql: string; params: (string | number)[] } {
  const parts = ['client = ?'];
  const params: (string | number)[] = [f.client];
  if (f.contextId !== undefined) { parts.push('context_id = ?'); params.push(f.contextId); }
  if (f.state !== undefined) { parts.push('state = ?'); params.push(f.state); }
  if (f.after !== undefined) {
    parts.push('(created_at < ? OR (created_at = ? AND id < ?))');
    params.push(f.after.createdAt, f.after.createdAt, f.after.id);
  }
  return { sql: parts.join(' AND '), params };
}

interface RemoteRow { message_id: string; peer: string; task_id: string; conversation_id: string | null; created_at: number; next_check_at: number; expires_at: number }
const remoteOf = (r: RemoteRow): RemoteTaskRecord => ({
  messageId: r.message_id, peer: r.peer, taskId: r.task_id, conversationId: r.conversation_id, createdAt: r.created_at, nextCheckAt: r.next_check_at, expiresAt: r.expires_at,
});

export class SqliteA2ATaskRepo implements A2ATaskRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  followRemote(r: RemoteTaskRecord): void {
    const db = this.#db;
    db.transaction(() => db.run(
      `INSERT INTO a2a_remote (message_id, peer, task_id, conversation_id, created_at, next_check_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (message_id) DO UPDATE SET peer = excluded.peer, task_id = excluded.task_id, next_check_at = excluded.next_check_at, expires_at = excluded.expires_at`,
      r.messageId, r.peer, r.taskId, r.conversationId, r.createdAt, r.nextCheckAt, r.expiresAt));
  }

  dueRemote(now: number, limit: number): RemoteTaskRecord[] {
    return this.#db.read(() => this.#db.all<RemoteRow>('SELECT * FROM a2a_remote WHERE next_check_at <= ? ORDER BY next_check_at LIMIT ?', now, limit)).map(remoteOf);
  }

  rescheduleRemote(messageId: string, nextCheckAt: number): void {
    const db = this.#db;
    db.transaction(() => db.run('UPDATE a2a_remote SET next_check_at = ? WHERE message_id = ?', nextCheckAt, messageId));
  }

  dropRemote(messageId: string): boolean {
    const db = this.#db;
    return db.transaction(() => db.run('DELETE FROM a2a_remote WHERE message_id = ?', messageId) === 1);
  }

  insert(t: A2ATaskRecord): { inserted: true } | { inserted: false; existing: A2ATaskRecord } {
    const db = this.#db;
    return db.transaction(() => {
      const existing = db.get<TaskRow>('SELECT * FROM a2a_tasks WHERE client = ? AND message_id = ?', t.client, t.messageId);
      if (existing !== null) return { inserted: false as const, existing: taskOf(existing) };
      db.run(
        `INSERT INTO a2a_tasks (id, context_id, client, message_id, inbox_id, state, request, result_text, status_text, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        t.id, t.contextId, t.client, t.messageId, t.inboxId, t.state, t.request, t.resultText, t.statusText, t.createdAt, t.updatedAt,
      );
      return { inserted: true as const };
    });
  }

  get(id: string): A2ATaskRecord | null {
    const r = this.#db.read(() => this.#db.get<TaskRow>('SELECT * FROM a2a_tasks WHERE id = ?', id));
    return r === null ? null : taskOf(r);
  }

  byInboxId(inboxId: string): A2ATaskRecord | null {
    const r = this.#db.read(() => this.#db.get<TaskRow>('SELECT * FROM a2a_tasks WHERE inbox_id = ?', inboxId));
    return r === null ? null : taskOf(r);
  }

  list(f: A2ATaskFilter): A2ATaskRecord[] {
    const w = where(f);
    return this.#db.read(() => this.#db.all<TaskRow>(
      `SELECT * FROM a2a_tasks WHERE ${w.sql} ORDER BY created_at DESC, id DESC LIMIT ?`, ...w.params, f.limit,
    )).map(taskOf);
  }

  count(f: Omit<A2ATaskFilter, 'after' | 'limit'>): number {
    const w = where(f);
    return this.#db.read(() => this.#db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM a2a_tasks WHERE ${w.sql}`, ...w.params))?.n ?? 0;
  }

  transition(id: string, from: readonly A2ATaskState[], to: A2ATaskState, fields: { resultText?: string; statusText?: string }, now: number): boolean {
    const db = this.#db;
    if (from.length === 0) return false;
    const marks = from.map(() => '?').join(', ');
    return db.transaction(() => db.run(
      `UPDATE a2a_tasks SET state = ?, result_text = COALESCE(?, result_text), status_text = COALESCE(?, status_text), updated_at = ?
       WHERE id = ? AND state IN (${marks})`,
      to, fields.resultText ?? null, fields.statusText ?? null, now, id, ...from,
    ) === 1);
  }

  appendEvent(taskId: string, data: JsonValue, ts: number): number {
    const db = this.#db;
    return db.transaction(() => {
      db.run('INSERT INTO a2a_task_events (task_id, ts, data) VALUES (?, ?, ?)', taskId, ts, jsonText(data));
      return db.get<{ seq: number }>('SELECT last_insert_rowid() AS seq')?.seq ?? 0;
    });
  }

  events(taskId: string, afterSeq: number, limit = 1000): A2ATaskEvent[] {
    return this.#db.read(() => this.#db.all<EventRow>(
      'SELECT * FROM a2a_task_events WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?', taskId, afterSeq, limit,
    )).map(eventOf);
  }

  eventsAfter(afterSeq: number, limit = 1000): A2ATaskEvent[] {
    return this.#db.read(() => this.#db.all<EventRow>('SELECT * FROM a2a_task_events WHERE seq > ? ORDER BY seq LIMIT ?', afterSeq, limit)).map(eventOf);
  }

  latestEventSeq(): number {
    return this.#db.read(() => this.#db.get<{ s: number | null }>('SELECT MAX(seq) AS s FROM a2a_task_events'))?.s ?? 0;
  }

  prune(before: number): number {
    const db = this.#db;
    return db.transaction(() => {
      db.run(`DELETE FROM a2a_task_events WHERE task_id IN (SELECT id FROM a2a_tasks WHERE updated_at < ? AND state IN ${TERMINAL_SQL})`, before);
      return db.run(`DELETE FROM a2a_tasks WHERE updated_at < ? AND state IN ${TERMINAL_SQL}`, before);
    });
  }
}
