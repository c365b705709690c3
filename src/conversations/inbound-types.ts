/**
 * The inbound side of conversations: what the pipeline hands over (a verified message) and what
 * became of it. `onInbound` runs inside the pipeline's persist transaction: synchronous, store only.
 */
import type {
  ConversationStatus, CorrelationMethod, ResponseAuth, RoundStatus,
} from '../ports/conversation-repo.ts';
import type { Envelope } from '../protocol/envelope.ts';
import type { ResponseOutcome } from '../protocol/events.ts';

export interface InboundConversationMessage {
  /** The verified envelope (its body may still be ciphertext: see `body`). */
  envelope: Envelope;
  /** The plaintext body. */
  body: string;
  auth: ResponseAuth;
}

/** A response or acknowledgement that joined a round (counted or not). */
export interface ResponseResult {
  outcome: ResponseOutcome;
  conversationId: string;
  round: number;
  from: string;
  responseId: string;
  method: CorrelationMethod;
  counted: boolean;
  fromParticipant: boolean;
  roundStatus: RoundStatus;
  conversationStatus: ConversationStatus;
  /** An escalation level passed the issue on: call `tick()` to ask the next level now. */
  escalationPending: boolean;
}

export type InboundConversationResult =
  | ResponseResult
  /** The same envelope id was recorded before: nothing changed. */
  | { outcome: 'already_recorded'; conversationId: string; round: number; responseId: string }
  /** A participant's verdict notification, recorded as the conversation's verdict. */
  | { outcome: 'verdict_recorded'; conversationId: string; round: number; setBy: string }
  /** A verdict notification that was not accepted (malformed, unknown conversation, not a participant). */
  | { outcome: 'verdict_refused'; conversationId: string | null; reason: string }
  /** A request inviting this node into a conversation (a round of it), recorded on the participant side. */
  | { outcome: 'invited'; conversationId: string; round: number; initiator: string; created: boolean }
  /** A response or acknowledgement that matched no conversation this node started. */
  | { outcome: 'no_conversation'; reason: string }
  /** Not a conversation message (or one this node must not act on). */
  | { outcome: 'ignored'; reason: string };
