/**
 * Hand-off of a verified inbound message to the local agent: a handler command, the local OpenClaw
 * gateway, or nothing (inbox pull). Like Transport, it reports failures instead of throwing.
 */
import type { Attachment, Envelope } from '../protocol/envelope.ts';

export interface HandOff {
  envelope: Envelope;
  /** Envelope text as received (verified). */
  envelopeText: string;
  /** Plaintext body (decrypted when it was encrypted). */
  body: string;
  /**
   * The message's attachments when they travelled inside the ciphertext (decrypted); absent when
   * they are the envelope's own `payload.attachments`.
   */
  attachments?: Attachment[];
  /** Session key requested by the sender (replyContext.sessionKey or hook body), if any. */
  sessionKey: string | null;
}

export type HandOffResult =
  | { ok: true; /** Text to send back as the response (handler command stdout), if any. */ reply: string | null }
  | { ok: false; transient: boolean; error: string; retryAfterMs: number | null };

export interface AgentDelivery {
  readonly name: string;
  deliver(h: HandOff): Promise<HandOffResult>;
}
