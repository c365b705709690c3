/**
 * Row shapes of the conversation tables (migration 0002) and their mapping to the port's records.
 * JSON columns come from this node's own writes; they are still read defensively, so a hand-edited
 * row degrades to empty values instead of breaking every listing.
 */
import type {
  AnonLabel, ConversationRecord, ConversationRequestRecord, ConversationRole, ConversationStatus, ConversationType,
  CorrelationMethod, RequestDelivery, ResponseAuth, ResponseRecord, RoundRecord, RoundStatus, VerdictRecord,
} from '../../ports/conversation-repo.ts';
import { parseStringArray } from './json-columns.ts';

export interface ConversationRow {
  id: string;
  type: string;
  role: string;
  initiator: string;
  participants: string;
  subject: string;
  ttl_seconds: number;
  created_at: number;
  updated_at: number;
  deadline: number;
  status: string;
  status_reason: string | null;
  current_round: number;
  options: string;
  verdict: string | null;
}

export interface RoundRow {
  conversation_id: string;
  round: number;
  question: string;
  created_at: number;
  deadline: number;
  expected: string;
  quorum: number | null;
  status: string;
  closed_at: number | null;
}

export interface ResponseRow {
  id: string;
  conversation_id: string;
  round: number;
  agent: string;
  correlation_id: string | null;
  body: string;
  received_at: number;
  auth: string;
  correlated_by: string;
  counted: number;
  from_participant: number;
}

export interface RequestRow {
  id: string;
  conversation_id: string;
  round: number;
  agent: string;
  created_at: number;
  delivery: string;
  error: string | null;
}

/** What the `options` column holds. */
interface OptionsColumn {
  anonymize: boolean;
  ack: boolean;
  escalationChain: string[];
  labels: AnonLabel[];
}

export function optionsText(c: ConversationRecord): string {
  const o: OptionsColumn = { anonymize: c.anonymize, ack: c.ack, escalationChain: c.escalationChain, labels: c.labels };
  return JSON.stringify(o);
}

function parseObject(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function labelsOf(v: unknown): AnonLabel[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((x: unknown) => {
    const o = x as { agent?: unknown; label?: unknown } | null;
    return typeof o?.agent === 'string' && typeof o.label === 'string' ? [{ agent: o.agent, label: o.label }] : [];
  });
}

export function verdictText(v: VerdictRecord | null): string | null {
  return v === null ? null : JSON.stringify(v);
}

function parseVerdict(text: string | null): VerdictRecord | null {
  if (text === null) return null;
  const o = parseObject(text);
  if (typeof o.verdict !== 'string' || typeof o.setBy !== 'string' || typeof o.setAt !== 'number' || typeof o.round !== 'number') return null;
  const basis = Array.isArray(o.basis) ? o.basis.flatMap((x: unknown) => {
    const b = x as { responseId?: unknown; agent?: unknown; sha256?: unknown } | null;
    return typeof b?.responseId === 'string' && typeof b.agent === 'string' && typeof b.sha256 === 'string'
      ? [{ responseId: b.responseId, agent: b.agent, sha256: b.sha256 }] : [];
  }) : [];
  return {
    verdict: o.verdict, summary: typeof o.summary === 'string' ? o.summary : null, setBy: o.setBy, setAt: o.setAt,
    round: o.round, basis,
  };
}

export function toConversation(r: ConversationRow): ConversationRecord {
  const o = parseObject(r.options);
  return {
    id: r.id, type: r.type as ConversationType, role: r.role as ConversationRole, initiator: r.initiator,
    participants: parseStringArray(r.participants), subject: r.subject, ttlSeconds: r.ttl_seconds, createdAt: r.created_at,
    updatedAt: r.updated_at, deadline: r.deadline, status: r.status as ConversationStatus, statusReason: r.status_reason,
    currentRound: r.current_round, anonymize: o.anonymize === true, ack: o.ack === true,
    escalationChain: strings(o.escalationChain), labels: labelsOf(o.labels), verdict: parseVerdict(r.verdict),
  };
}

export function toRound(r: RoundRow): RoundRecord {
  return {
    conversationId: r.conversation_id, round: r.round, question: r.question, createdAt: r.created_at, deadline: r.deadline,
    expected: parseStringArray(r.expected), quorum: r.quorum, status: r.status as RoundStatus, closedAt: r.closed_at,
  };
}

export function toResponse(r: ResponseRow): ResponseRecord {
  return {
    id: r.id, conversationId: r.conversation_id, round: r.round, agent: r.agent, correlationId: r.correlation_id,
    body: r.body, receivedAt: r.received_at, auth: r.auth as ResponseAuth, correlatedBy: r.correlated_by as CorrelationMethod,
    counted: r.counted === 1, fromParticipant: r.from_participant === 1,
  };
}

export function toRequest(r: RequestRow): ConversationRequestRecord {
  return {
    id: r.id, conversationId: r.conversation_id, round: r.round, agent: r.agent, createdAt: r.created_at,
    delivery: r.delivery as RequestDelivery, error: r.error,
  };
}
