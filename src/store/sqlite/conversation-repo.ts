import type { ConversationRecord, ConversationRepo, ResponseRecord, RoundRecord } from '../../ports/store.ts';
import { jsonText, parseJsonText, parseStringArray, sqlLimit, stringArrayText } from './json-columns.ts';
import type { Params, SqliteDb } from './sqlite-db.ts';

interface ConversationRow {
  id: string;
  kind: string;
  initiator: string;
  subject: string;
  status: string;
  participants: string;
  current_round: number;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  data: string;
}

interface RoundRow {
  conversation_id: string;
  round: number;
  question: string;
  status: string;
  expected_responses: number;
  created_at: number;
  consensus: string | null;
  consensus_summary: string | null;
}

interface ResponseRow {
  conversation_id: string;
  round: number;
  agent: string;
  message_id: string | null;
  body: string;
  received_at: number;
}

function toConversation(r: ConversationRow): ConversationRecord {
  return {
    id: r.id, kind: r.kind, initiator: r.initiator, subject: r.subject, status: r.status,
    participants: parseStringArray(r.participants), currentRound: r.current_round, createdAt: r.created_at,
    updatedAt: r.updated_at, expiresAt: r.expires_at, data: parseJsonText(r.data),
  };
}

function toRound(r: RoundRow): RoundRecord {
  return {
    conversationId: r.conversation_id, round: r.round, question: r.question, status: r.status,
    expectedResponses: r.expected_responses, createdAt: r.created_at, consensus: r.consensus,
    consensusSummary: r.consensus_summary,
  };
}

function toResponse(r: ResponseRow): ResponseRecord {
  return {
    conversationId: r.conversation_id, round: r.round, agent: r.agent, messageId: r.message_id, body: r.body,
    receivedAt: r.received_at,
  };
}

export class SqliteConversationRepo implements ConversationRepo {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  create(c: ConversationRecord): boolean {
    const db = this.#db;
    const participants = stringArrayText(c.participants);
    const data = jsonText(c.data);
    return db.transaction(() => db.run(
      `INSERT INTO conversations (id, kind, initiator, subject, status, participants, current_round, created_at,
         updated_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      c.id, c.kind, c.initiator, c.subject, c.status, participants, c.currentRound, c.createdAt, c.updatedAt,
      c.expiresAt, data) === 1);
  }

  get(id: string): ConversationRecord | null {
    const row = this.#db.read(() => this.#db.get<ConversationRow>('SELECT * FROM conversations WHERE id = ?', id));
    return row === null ? null : toConversation(row);
  }

  /** Replaces every field of an existing conversation; a missing one is left missing. */
  update(c: ConversationRecord): void {
    const db = this.#db;
    const participants = stringArrayText(c.participants);
    const data = jsonText(c.data);
    db.transaction(() => db.run(
      `UPDATE conversations SET kind = ?, initiator = ?, subject = ?, status = ?, participants = ?, current_round = ?,
         created_at = ?, updated_at = ?, expires_at = ?, data = ? WHERE id = ?`,
      c.kind, c.initiator, c.subject, c.status, participants, c.currentRound, c.createdAt, c.updatedAt, c.expiresAt,
      data, c.id));
  }

  /** Oldest created first; `agent` matches the initiator or any participant; `since` compares createdAt. */
  list(filter: { status?: string; agent?: string; kind?: string; since?: number; limit?: number } = {}): ConversationRecord[] {
    const where: string[] = [];
    const params: Params = [];
    if (filter.status !== undefined) { where.push('status = ?'); params.push(filter.status); }
    if (filter.kind !== undefined) { where.push('kind = ?'); params.push(filter.kind); }
    if (filter.agent !== undefined) {
      where.push('(initiator = ? OR EXISTS (SELECT 1 FROM json_each(conversations.participants) WHERE value = ?))');
      params.push(filter.agent, filter.agent);
    }
    if (filter.since !== undefined) { where.push('created_at >= ?'); params.push(filter.since); }
    params.push(sqlLimit(filter.limit));
    const sql = `SELECT * FROM conversations ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at, rowid LIMIT ?`;
    return this.#db.read(() => this.#db.all<ConversationRow>(sql, ...params)).map(toConversation);
  }

  putRound(r: RoundRecord): void {
    const db = this.#db;
    db.transaction(() => db.run(
      `INSERT INTO rounds (conversation_id, round, question, status, expected_responses, created_at, consensus,
         consensus_summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id, round) DO UPDATE SET question = excluded.question, status = excluded.status,
         expected_responses = excluded.expected_responses, created_at = excluded.created_at,
         consensus = excluded.consensus, consensus_summary = excluded.consensus_summary`,
      r.conversationId, r.round, r.question, r.status, r.expectedResponses, r.createdAt, r.consensus, r.consensusSummary));
  }

  rounds(conversationId: string): RoundRecord[] {
    const db = this.#db;
    return db.read(() => db.all<RoundRow>('SELECT * FROM rounds WHERE conversation_id = ? ORDER BY round', conversationId))
      .map(toRound);
  }

  addResponse(r: ResponseRecord): boolean {
    const db = this.#db;
    return db.transaction(() => db.run(
      `INSERT INTO responses (conversation_id, round, agent, message_id, body, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id, round, agent) DO NOTHING`,
      r.conversationId, r.round, r.agent, r.messageId, r.body, r.receivedAt) === 1);
  }

  /** Ordered by round, then arrival. */
  responses(conversationId: string, round?: number): ResponseRecord[] {
    const db = this.#db;
    const rows = db.read(() => round === undefined
      ? db.all<ResponseRow>('SELECT * FROM responses WHERE conversation_id = ? ORDER BY round, received_at, rowid', conversationId)
      : db.all<ResponseRow>('SELECT * FROM responses WHERE conversation_id = ? AND round = ? ORDER BY received_at, rowid',
        conversationId, round));
    return rows.map(toResponse);
  }
}
