/**
 * What the parts of the conversations service share: the ports, and the one way they record a state
 * change (an audit entry, direction 'local'). Events are emitted where the change is made, inside the
 * same store transaction, so a rolled-back change leaves no event behind.
 */
import type { Clock } from '../ports/clock.ts';
import type { ConversationOutbound } from '../ports/conversation-outbound.ts';
import type { AuditSink, EventSink } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { Store } from '../ports/store.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { IdGenerator } from '../protocol/ids.ts';

export interface ConversationDeps {
  /** This node's agent name (the initiator of the conversations it opens). */
  self: string;
  store: Store;
  outbound: ConversationOutbound;
  clock: Clock;
  ids: IdGenerator;
  events: EventSink;
  audit: AuditSink;
  logger: Logger;
}

export interface LocalAuditFields {
  conversationId: string | null;
  /** The message concerned (a response's or request's envelope id), if any. */
  id?: string | null;
  from?: string | null;
  to?: string | null;
  correlationId?: string | null;
  detail: string;
}

/** Audit statuses of conversation changes (the `status` column of the audit log). */
export type ConversationAuditStatus =
  | 'conv_opened' | 'conv_round' | 'conv_response' | 'conv_round_closed' | 'conv_status' | 'conv_verdict'
  | 'conv_invited' | 'conv_cleanup';

export function auditLocal(deps: ConversationDeps, status: ConversationAuditStatus, f: LocalAuditFields): void {
  deps.audit.record({
    ts: deps.clock.now(),
    direction: 'local',
    status,
    id: f.id ?? null,
    from: f.from ?? null,
    to: f.to ?? null,
    type: null,
    subject: null,
    correlationId: f.correlationId ?? null,
    conversationId: f.conversationId,
    signed: false,
    encrypted: false,
    detail: f.detail,
  });
}

export function notFound(conversationId: string): MeshError {
  return new MeshError(MeshErrorCode.NotFound, `no conversation "${conversationId.slice(0, 80)}" (see mesh conv list --all)`, {
    details: { conversationId: conversationId.slice(0, 80) },
  });
}

export function invalid(message: string, field?: string): MeshError {
  return new MeshError(MeshErrorCode.InvalidArgument, message, field === undefined ? {} : { details: { field } });
}

export function invalidState(message: string, conversationId: string): MeshError {
  return new MeshError(MeshErrorCode.InvalidState, message, { details: { conversationId } });
}

/** A short, secret-free name for an unexpected error (its code or class), for logs. */
export function errorName(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const name = (e as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return typeof e;
}
