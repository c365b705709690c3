import type {
  ConversationRecord, ConversationRepo, ConversationRequestRecord, ConversationSearch, ConversationStats, CurrentRoundDigest, RequestDelivery,
  ResponseRecord, RoundRecord,
} from '../../ports/conversation-repo.ts';
import { TERMINAL_CONVERSATION_STATUSES } from '../../ports/conversation-repo.ts';
import {
  optionsText, toConversation, toRequest, toResponse, toRound, verdictText,
  type ConversationRow, type RequestRow, type ResponseRow, type RoundRow,
} from './conversation-rows.ts';
import { parseStringArray, sqlLimit, stringArrayText } from './json-columns.ts';
import type { Params, SqliteDb } from './sqlite-db.ts';

/**
 * The search text as an FTS5 query: its words as one phrase, the last word a prefix, each word
 * quoted (words are letters and digits only, so the user cannot inject FTS syntax). Null when the
 * text has no word at all: such a query matches nothing.
 */
export function ftsPhrase(query: string): string | null {
  const words = query.match(/[\p{L}\p{N}]+/gu);
  return words === null ? null : `"${words.join(' ')}"*`;
}

const TERMINAL_SQL = TERMINAL_CONVERSATION_STATUSES.map((s) => `'${s}'`).join(', ');

const bool = (b: boolean): number => (b ? 1 : 0);

export class SqliteConversationRepo implements ConversationRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  create(c: ConversationRecord): boolean {
    const db = this.#db;
    return db.write(
      `INSERT INTO conversations (id, type, role, initiator, participants, subject, ttl_seconds, created_at, updated_at,
         deadline, status, status_reason, current_round, options, verdict)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      c.id, c.type, c.role, c.initiator, stringArrayText(c.participants), c.subject, c.ttlSeconds, c.createdAt,
      c.updatedAt, c.deadline, c.status, c.statusReason, c.currentRound, optionsText(c), verdictText(c.verdict)) === 1;
  }

  get(id: string): ConversationRecord | null {
    const row = this.#db.read(() => this.#db.get<ConversationRow>('SELECT * FROM conversations WHERE id = ?', id));
    return row === null ? null : toConversation(row);
  }

  update(c: ConversationRecord): void {
    const db = this.#db;
    db.write(
      `UPDATE conversations SET type = ?, role = ?, initiator = ?, participants = ?, subject = ?, ttl_seconds = ?,
         created_at = ?, updated_at = ?, deadline = ?, status = ?, status_reason = ?, current_round = ?, options = ?,
         verdict = ? WHERE id = ?`,
      c.type, c.role, c.initiator, stringArrayText(c.participants), c.subject, c.ttlSeconds, c.createdAt, c.updatedAt,
      c.deadline, c.status, c.statusReason, c.currentRound, optionsText(c), verdictText(c.verdict), c.id);
  }

  search(filter: ConversationSearch = {}): ConversationRecord[] {
    const where: string[] = [];
    const params: Params = [];
    if (filter.status !== undefined) {
      const statuses: readonly string[] = typeof filter.status === 'string' ? [filter.status] : filter.status;
      if (statuses.length === 0) return [];
      where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
    }
    if (filter.type !== undefined) { where.push('type = ?'); params.push(filter.type); }
    if (filter.role !== undefined) { where.push('role = ?'); params.push(filter.role); }
    if (filter.since !== undefined) { where.push('created_at >= ?'); params.push(filter.since); }
    if (filter.agent !== undefined) {
      where.push('(initiator = ? OR EXISTS (SELECT 1 FROM json_each(conversations.participants) WHERE value = ?))');
      params.push(filter.agent, filter.agent);
    }
    const phrase = filter.query !== undefined && filter.query.trim() !== '' ? ftsPhrase(filter.query) : undefined;
    if (phrase === null) return [];
    if (phrase !== undefined) {
      // UNION ALL: IN ignores duplicates anyway, and a UNION would sort both halves to drop them.
      where.push(`id IN (
        SELECT conversation_id FROM conversation_rounds WHERE seq IN
          (SELECT rowid FROM conversation_questions_fts WHERE conversation_questions_fts MATCH ?)
        UNION ALL
        SELECT conversation_id FROM conversation_responses WHERE seq IN
          (SELECT rowid FROM conversation_bodies_fts WHERE conversation_bodies_fts MATCH ?))`);
      params.push(phrase, phrase);
    }
    const limit = sqlLimit(filter.limit);
    params.push(limit);
    return this.#db.read(() => {
      const from = phrase !== undefined && this.#searchScansNewestFirst(phrase, limit) ? 'conversations INDEXED BY conversations_created' : 'conversations';
      const sql = `SELECT * FROM ${from} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, rowid DESC LIMIT ?`;
      return this.#db.all<ConversationRow>(sql, ...params);
    }).map(toConversation);
  }

  /**
   * How a full-text search finds its page of newest matches (both give the same rows in the same
   * order). SQLite's planner cannot know how many conversations match, and picks looking up every
   * match by id, then sorting them all: cheap for a rare word, but for a common one (thousands of
   * matches) it reads and sorts every matching row to keep the newest `limit`. Walking the created_at
   * index from the newest and keeping the matches stops after about limit × total ÷ matches rows.
   * The two cost the same where matches² ≈ limit × total; the match count is estimated from the
   * full-text indexes alone (cheap: their doclists), counting rounds and responses, so it can only
   * overestimate.
   */
  #searchScansNewestFirst(phrase: string, limit: number): boolean {
    const row = this.#db.get<{ hits: number; total: number | null }>(
      `SELECT (SELECT count(*) FROM conversation_questions_fts WHERE conversation_questions_fts MATCH ?)
            + (SELECT count(*) FROM conversation_bodies_fts WHERE conversation_bodies_fts MATCH ?) AS hits,
              (SELECT max(rowid) FROM conversations) AS total`, phrase, phrase);
    if (row === null || row.total === null) return false;
    const page = limit < 0 ? row.total : limit;
    return row.hits * row.hits >= page * row.total;
  }

  active(limit?: number): ConversationRecord[] {
    const db = this.#db;
    return db.read(() => db.all<ConversationRow>(
      `SELECT * FROM conversations WHERE status = 'active' ORDER BY deadline, rowid LIMIT ?`, sqlLimit(limit)))
      .map(toConversation);
  }

  deleteTerminal(before: number): string[] {
    const db = this.#db;
    return db.transaction(() => {
      const ids = db.all<{ id: string }>(
        `SELECT id FROM conversations WHERE status IN (${TERMINAL_SQL}) AND updated_at < ? ORDER BY created_at, rowid`, before)
        .map((r) => r.id);
      for (const id of ids) {
        db.run('DELETE FROM conversation_responses WHERE conversation_id = ?', id);
        db.run('DELETE FROM conversation_requests WHERE conversation_id = ?', id);
        db.run('DELETE FROM conversation_rounds WHERE conversation_id = ?', id);
        db.run('DELETE FROM conversations WHERE id = ?', id);
      }
      return ids;
    });
  }

  stats(): ConversationStats {
    const db = this.#db;
    return db.read(() => {
      const group = (column: 'status' | 'type' | 'role'): Record<string, number> => Object.fromEntries(
        db.all<{ k: string; n: number }>(`SELECT ${column} AS k, count(*) AS n FROM conversations GROUP BY ${column} ORDER BY ${column}`)
          .map((r) => [r.k, r.n]));
      const expected = db.get<{ n: number }>(
        `SELECT coalesce(sum(json_array_length(r.expected)), 0) AS n FROM conversation_rounds r
         JOIN conversations c ON c.id = r.conversation_id WHERE c.role = 'initiator'`)?.n ?? 0;
      const counted = db.get<{ n: number }>(
        `SELECT count(*) AS n FROM conversation_responses x
         JOIN conversations c ON c.id = x.conversation_id WHERE c.role = 'initiator' AND x.counted = 1`)?.n ?? 0;
      return { byStatus: group('status'), byType: group('type'), byRole: group('role'), expectedAnswers: expected, countedAnswers: counted };
    });
  }

  addRound(r: RoundRecord): boolean {
    const db = this.#db;
    return db.write(
      `INSERT INTO conversation_rounds (conversation_id, round, question, created_at, deadline, expected, quorum, status, closed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id, round) DO NOTHING`,
      r.conversationId, r.round, r.question, r.createdAt, r.deadline, stringArrayText(r.expected), r.quorum, r.status,
      r.closedAt) === 1;
  }

  updateRound(r: RoundRecord): void {
    const db = this.#db;
    db.write(
      `UPDATE conversation_rounds SET deadline = ?, expected = ?, quorum = ?, status = ?, closed_at = ?
       WHERE conversation_id = ? AND round = ?`,
      r.deadline, stringArrayText(r.expected), r.quorum, r.status, r.closedAt, r.conversationId, r.round);
  }

  round(conversationId: string, round: number): RoundRecord | null {
    const db = this.#db;
    const row = db.read(() => db.get<RoundRow>(
      'SELECT * FROM conversation_rounds WHERE conversation_id = ? AND round = ?', conversationId, round));
    return row === null ? null : toRound(row);
  }

  rounds(conversationId: string): RoundRecord[] {
    const db = this.#db;
    return db.read(() => db.all<RoundRow>(
      'SELECT * FROM conversation_rounds WHERE conversation_id = ? ORDER BY round', conversationId)).map(toRound);
  }

  currentRounds(conversationIds: readonly string[]): CurrentRoundDigest[] {
    if (conversationIds.length === 0) return [];
    const db = this.#db;
    const rows = db.read(() => db.all<RoundRow & { response_count: number; answered: string }>(
      `SELECT r.*,
         (SELECT count(*) FROM conversation_responses x WHERE x.conversation_id = r.conversation_id AND x.round = r.round) AS response_count,
         (SELECT json_group_array(DISTINCT x.agent) FROM conversation_responses x
            WHERE x.conversation_id = r.conversation_id AND x.round = r.round AND x.counted = 1) AS answered
       FROM conversations c JOIN conversation_rounds r ON r.conversation_id = c.id AND r.round = c.current_round
       WHERE c.id IN (SELECT value FROM json_each(?))`,
      stringArrayText(conversationIds)));
    return rows.map((r) => ({ round: toRound(r), answered: parseStringArray(r.answered), responses: r.response_count }));
  }

  addResponse(r: ResponseRecord): boolean {
    const db = this.#db;
    return db.write(
      `INSERT INTO conversation_responses (id, conversation_id, round, agent, correlation_id, body, received_at, auth,
         correlated_by, counted, from_participant) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      r.id, r.conversationId, r.round, r.agent, r.correlationId, r.body, r.receivedAt, r.auth, r.correlatedBy,
      bool(r.counted), bool(r.fromParticipant)) === 1;
  }

  response(id: string): ResponseRecord | null {
    const db = this.#db;
    const row = db.read(() => db.get<ResponseRow>('SELECT * FROM conversation_responses WHERE id = ?', id));
    return row === null ? null : toResponse(row);
  }

  responses(conversationId: string, round?: number): ResponseRecord[] {
    const db = this.#db;
    const rows = db.read(() => round === undefined
      ? db.all<ResponseRow>(
        'SELECT * FROM conversation_responses WHERE conversation_id = ? ORDER BY round, received_at, seq', conversationId)
      : db.all<ResponseRow>(
        'SELECT * FROM conversation_responses WHERE conversation_id = ? AND round = ? ORDER BY received_at, seq',
        conversationId, round));
    return rows.map(toResponse);
  }

  putRequest(r: ConversationRequestRecord): void {
    const db = this.#db;
    db.write(
      `INSERT INTO conversation_requests (id, conversation_id, round, agent, created_at, delivery, error)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET conversation_id = excluded.conversation_id, round = excluded.round,
         agent = excluded.agent, created_at = excluded.created_at, delivery = excluded.delivery, error = excluded.error`,
      r.id, r.conversationId, r.round, r.agent, r.createdAt, r.delivery, r.error);
  }

  request(id: string): ConversationRequestRecord | null {
    const db = this.#db;
    const row = db.read(() => db.get<RequestRow>('SELECT * FROM conversation_requests WHERE id = ?', id));
    return row === null ? null : toRequest(row);
  }

  requests(conversationId: string, round?: number): ConversationRequestRecord[] {
    const db = this.#db;
    const rows = db.read(() => round === undefined
      ? db.all<RequestRow>('SELECT * FROM conversation_requests WHERE conversation_id = ? ORDER BY round, created_at, rowid', conversationId)
      : db.all<RequestRow>('SELECT * FROM conversation_requests WHERE conversation_id = ? AND round = ? ORDER BY created_at, rowid',
        conversationId, round));
    return rows.map(toRequest);
  }

  setRequestDelivery(id: string, delivery: RequestDelivery, error: string | null): void {
    const db = this.#db;
    db.write('UPDATE conversation_requests SET delivery = ?, error = ? WHERE id = ?', delivery, error, id);
  }
}
