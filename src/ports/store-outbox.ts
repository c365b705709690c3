/**
 * The outbox and dead-letter part of the Store port: messages this node sends, until a peer took them
 * or they failed for good (then a dead letter, which may be replayed).
 * Same conventions as store.ts: times are epoch milliseconds, methods are synchronous and atomic on
 * their own, "not found" is null/false, and callers group calls with `Store.transaction`.
 */
export type OutboxState = 'pending' | 'delivered';

export interface NewOutboxMessage {
  /** Envelope id; unique. Enqueueing an existing id is a no-op that returns false. */
  id: string;
  /** Target agent name (registry key). */
  peer: string;
  /** Envelope type, for status views. */
  type: string;
  /** Exact envelope text to send (already encrypted and signed). Replays resend these bytes. */
  envelope: string;
  /** Session key for the hook body (`/hooks/agent`), or null. */
  sessionKey: string | null;
  createdAt: number;
  /** After this time the message is purged, never sent (timestamp + ttl). */
  expiresAt: number;
  /** When the first (or next) attempt is due. */
  nextAttemptAt: number;
}

export interface OutboxMessage extends NewOutboxMessage {
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  /** While now < leaseUntil, another worker owns the message. */
  leaseUntil: number;
  deliveredAt: number | null;
}

export interface OutboxRepo {
  enqueue(msg: NewOutboxMessage): boolean;
  get(id: string): OutboxMessage | null;
  /**
   * Atomically leases up to `limit` pending messages with nextAttemptAt <= now, not expired and not
   * leased, oldest nextAttemptAt first (ties by createdAt), optionally for one peer.
   */
  claimDue(now: number, limit: number, leaseMs: number, peer?: string): OutboxMessage[];
  /** Leases one specific pending message (the CLI's first attempt); null if leased, missing or delivered. */
  claim(id: string, now: number, leaseMs: number): OutboxMessage | null;
  markDelivered(id: string, now: number): void;
  /** Records a failed attempt: attempts+1, lastError, nextAttemptAt, lease released. */
  recordFailure(id: string, error: string, nextAttemptAt: number): void;
  /** Releases a lease without counting an attempt (e.g. the circuit was open). */
  release(id: string, nextAttemptAt: number): void;
  /** Pending messages, oldest first. */
  listPending(peer?: string, limit?: number): OutboxMessage[];
  /** Pending counts per peer. */
  pendingCounts(): Record<string, number>;
  /**
   * Each peer with pending messages and the earliest nextAttemptAt among them, by peer name. Cheap
   * behind a large backlog (a few index probes per peer), so the worker can call it every tick.
   */
  duePerPeer(): PeerDue[];
  /** Deletes pending messages (all, or one peer's). Returns how many. */
  purgePending(peer?: string): number;
  /**
   * Deletes one pending message nobody holds a lease on (lease_until <= now) and returns it; null
   * when it is missing, delivered or leased (an attempt may be in flight).
   */
  withdraw(id: string, now: number): OutboxMessage | null;
  /**
   * Deletes pending messages whose expiresAt <= now; returns them (for audit). A message leased by
   * someone (a request may be in flight) is left alone until its lease ends, except `ownLeaseId`:
   * the one message the caller holds itself.
   */
  purgeExpired(now: number, ownLeaseId?: string): OutboxMessage[];
  /** Deletes delivered rows older than `before`. */
  pruneDelivered(before: number): number;
}

export interface PeerDue {
  peer: string;
  nextDueAt: number;
}


export interface DeadLetter {
  id: string;
  peer: string;
  type: string;
  envelope: string;
  sessionKey: string | null;
  /** circuit_open | client_error_<code> | all_retries_exhausted | expired | … */
  reason: string;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  expiresAt: number;
  failedAt: number;
}

export interface DeadLetterRepo {
  /** Moves a pending outbox row to dead letters in one transaction. False if the row is gone. */
  moveFromOutbox(id: string, reason: string, now: number): boolean;
  /** Inserts directly (e.g. a send refused before it reached the outbox). Upserts on id. */
  put(letter: DeadLetter): void;
  get(id: string): DeadLetter | null;
  list(filter?: { peer?: string; limit?: number }): DeadLetter[];
  counts(): Record<string, number>;
  /** Moves a dead letter back to the outbox (same id, same bytes) due at `now`, attempts reset. */
  requeue(id: string, now: number): boolean;
  remove(id: string): boolean;
  purge(peer?: string): number;
  /** Deletes dead letters whose expiresAt <= now; returns them. */
  purgeExpired(now: number): DeadLetter[];
}
