/**
 * Hand-off of a verified inbound message to the local agent: a handler command, the local OpenClaw
 * gateway, or nothing (inbox pull). Like Transport, it reports failures instead of throwing.
 */
import type { AlertDecision } from '../protocol/alerts.ts';
import type { Attachment, Envelope } from '../protocol/envelope.ts';

/** An alert's de-duplication decision (`fleet.dedupAlerts`), handed to the agent with the alert. */
export interface HandOffAlert {
  decision: Exclude<AlertDecision, 'suppressed'>;
  /** The incident it was counted in. */
  incidentId: string | null;
}

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
  /**
   * Session key requested by the sender: the envelope's replyContext.sessionKey, if any. The hook
   * body's `sessionKey` is not a second source: every known sender (bash mesh-send and
   * send_mesh_response, MESH) only sends it as a copy of that replyContext key, and unlike it the
   * body is not covered by the signature.
   */
  sessionKey: string | null;
  /** For an alert the daemon de-duplicated: what it decided (suppressed alerts are not handed off). */
  alert?: HandOffAlert;
}

export type HandOffResult =
  | { ok: true; /** Text to send back as the response (handler command stdout), if any. */ reply: string | null }
  | { ok: false; transient: boolean; error: string; retryAfterMs: number | null };

export interface AgentDelivery {
  readonly name: string;
  deliver(h: HandOff): Promise<HandOffResult>;
}
