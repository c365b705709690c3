/**
 * How the conversations service sends: one message to one agent, under an id the service chose (and
 * recorded) beforehand, so that an answer arriving before `send` returns still finds its round.
 * The node's adapter composes, signs, stores in the outbox and makes the first attempt, as `mesh send`.
 */
import type { Attachment } from '../protocol/envelope.ts';
import type { JsonValue } from '../protocol/json.ts';

/** What the caller of a rally passes through untouched to every message (the CLI's --file, --encrypt). */
export interface ConversationPassthrough {
  attachments?: Attachment[] | undefined;
  encrypt?: boolean | undefined;
}

export interface ConversationMessage {
  /** Envelope id to use (a fresh `msg_<uuid>` from the IdGenerator). */
  id: string;
  target: string;
  type: 'request' | 'notification';
  body: string;
  subject: string;
  conversationId: string;
  /** `{conversationId, participants, round}` for rounds; null for notifications. */
  replyContext: JsonValue;
  ttlSeconds: number;
  priority: string;
  /** payload.metadata; `{}` when absent. */
  metadata?: JsonValue | undefined;
  passthrough?: ConversationPassthrough | undefined;
}

/** As `mesh send` reports a target; `failed` = refused before the outbox (unknown peer, missing key…). */
export type ConversationDeliveryStatus = 'delivered' | 'queued' | 'dead_lettered' | 'expired' | 'failed';

export interface ConversationDeliveryOutcome {
  status: ConversationDeliveryStatus;
  /** Short, secret-free reason (error code, HTTP status class). */
  error?: string | undefined;
}

export interface ConversationOutbound {
  /** Never rejects for a delivery problem: that is an outcome. */
  send(message: ConversationMessage): Promise<ConversationDeliveryOutcome>;
}
