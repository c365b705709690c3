/**
 * Told about every message the inbound pipeline accepts, inside the transaction that stores it, so
 * whatever the observer records (a conversation's response, an invitation, a verdict) commits or rolls
 * back with the message itself. Synchronous and store-only; it should not throw, and if it does the
 * message is still accepted (its verification stands; the failure is logged).
 */
import type { Envelope } from '../protocol/envelope.ts';

export interface AcceptedMessage {
  /** The verified envelope as received (its body may be ciphertext: see `body`). */
  envelope: Envelope;
  /** The plaintext body. */
  body: string;
  /** How the sender was authenticated. */
  auth: 'hmac' | 'ed25519' | 'none';
}

export interface InboundObserver {
  accepted(message: AcceptedMessage): void;
  /**
   * True for a message the node consumes itself (a relay-election announcement): it is stored and
   * observed like any other, but never handed to the agent. Pure; asked before the message is stored.
   */
  consumes?(envelope: Envelope): boolean;
}
