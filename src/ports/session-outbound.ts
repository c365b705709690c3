/**
 * How the sessions service sends: one request, to one participant, carrying the session's key in the
 * envelope's `session` field (`{"key": …}`, as bash's `mesh-send.sh --session-key`). The node's adapter
 * composes, signs, stores in the outbox and makes the first attempt, as `mesh send`.
 */
import type { JsonValue } from '../protocol/json.ts';
import type { ConversationDeliveryOutcome } from './conversation-outbound.ts';

export interface SessionOutboundMessage {
  /** Envelope id to use (a fresh `msg_<uuid>` from the IdGenerator). */
  id: string;
  target: string;
  body: string;
  subject: string;
  sessionKey: string;
  /** payload.metadata: `{sessionContext, sessionKey, participants}` (bash's shape). */
  metadata: JsonValue;
  ttlSeconds: number;
  priority: string;
}

/** As `mesh send` reports a target (`failed`: refused before the outbox). */
export type SessionDeliveryOutcome = ConversationDeliveryOutcome;

export interface SessionOutbound {
  /** Never rejects for a delivery problem: that is an outcome. */
  send(message: SessionOutboundMessage): Promise<SessionDeliveryOutcome>;
}
