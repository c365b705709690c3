/**
 * The inbox and replay-protection part of the Store port: messages this node received and verified,
 * their hand-off to the local agent, and the nonces already seen.
 * Same conventions as store.ts: times are epoch milliseconds, methods are synchronous and atomic on
 * their own, "not found" is null/false, and callers group calls with `Store.transaction`.
 */
import type { AlertDecision } from '../protocol/alerts.ts';

export type InboxDeliveryState = 'pending' | 'delivered' | 'failed' | 'none';

export interface InboxMessage {
  id: string;
  from: string;
  to: string;
  type: string;
  correlationId: string | null;
  conversationId: string | null;
  idempotencyKey: string | null;
  subject: string;
  /** Verified envelope text as received (decrypted body is NOT stored here; see `body`). */
  envelope: string;
  /** Plaintext body (after decryption, if it was encrypted). */
  body: string;
  /**
   * JSON array text of the attachments that travelled inside the ciphertext, decrypted and validated;
   * null when the envelope's own `payload.attachments` are the message's (clear, or none).
   */
  sealedAttachments: string | null;
  /** How it was authenticated: hmac | ed25519 | none. */
  auth: string;
  receivedAt: number;
  readAt: number | null;
  /** Hand-off to the local agent (handler command / OpenClaw forwarder). 'none' = inbox pull only. */
  deliveryState: InboxDeliveryState;
  deliveryAttempts: number;
  deliveryError: string | null;
  nextDeliveryAt: number;
  leaseUntil: number;
  /**
   * For an alert the daemon de-duplicated before hand-off (`fleet.dedupAlerts`): the decision, and the
   * incident it was counted in (null for a recovery that matched no incident). Null otherwise.
   */
  alertDecision: AlertDecision | null;
  incidentId: string | null;
}

export type NewInboxMessage = Omit<
  InboxMessage, 'readAt' | 'deliveryAttempts' | 'deliveryError' | 'leaseUntil' | 'sealedAttachments' | 'alertDecision' | 'incidentId'
> & {
  sealedAttachments?: string | null;
};

export interface InboxFilter {
  unread?: boolean;
  from?: string;
  type?: string;
  since?: number;
  after?: string;
  limit?: number;
}

export interface InboxRepo {
  /**
   * Inserts unless a message with the same id, or the same (from, idempotencyKey), exists.
   * Returns the id of the existing message on duplicate.
   */
  insert(msg: NewInboxMessage): { inserted: true } | { inserted: false; existingId: string };
  get(id: string): InboxMessage | null;
  /** Messages whose correlationId equals `id` (responses to a request), oldest first. */
  findByCorrelation(correlationId: string): InboxMessage[];
  /**
   * Oldest first (by receivedAt, then arrival). `after` is the id of a message: only those listed
   * after it in this order (a cursor for pollers; an id not in the inbox gives none).
   */
  list(filter?: InboxFilter): InboxMessage[];
  markRead(ids: readonly string[], now: number): number;
  /** Leases messages due for hand-off (deliveryState pending, nextDeliveryAt <= now), oldest first. */
  claimForDelivery(now: number, limit: number, leaseMs: number): InboxMessage[];
  markHandedOff(id: string, now: number): void;
  /** Counts a failed hand-off attempt; `permanent` ends the hand-off in state 'failed' (error kept). */
  recordDeliveryFailure(id: string, error: string, nextDeliveryAt: number, permanent: boolean): void;
  /**
   * Puts a message whose hand-off failed for good back in line: pending, due at `now`, attempts
   * reset, the last error kept until the next outcome. False if it is missing or not 'failed'.
   */
  retryDelivery(id: string, now: number): boolean;
  /**
   * Withdraws a message the agent has not got yet (an A2A CancelTask): a pending hand-off not leased
   * at `now` ends 'failed' with `reason`; an inbox-only message not read yet is marked read. False
   * (nothing changed) when the agent may already have it: handed off, being handed off, or read.
   */
  withdraw(id: string, now: number, reason: string): boolean;
  /**
   * Records the de-duplication decision of an alert message, once: false (nothing changed) when the
   * message is missing or already has one, so a retried hand-off keeps its first decision.
   */
  setAlertTriage(id: string, decision: AlertDecision, incidentId: string | null): boolean;
  prune(before: number): number;
}


export interface NonceRepo {
  /** Records (sender, nonce) unless already seen. True when new. Exact match, never substring. */
  checkAndRecord(sender: string, nonce: string, seenAt: number, expiresAt: number): boolean;
  /** Deletes entries with expiresAt <= now. */
  prune(now: number): number;
}
