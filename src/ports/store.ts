/**
 * The Store port: everything a MESH node persists. One SQLite file in production (many processes,
 * WAL), an in-memory adapter for unit tests; both pass test/contract/store-contract.ts.
 *
 * Conventions: times are epoch milliseconds; methods are synchronous (node:sqlite is); every method
 * is atomic on its own; `transaction(fn)` groups several calls atomically (BEGIN IMMEDIATE in SQLite)
 * and may be nested (inner calls join the outer transaction). Methods never throw for "not found":
 * they return null/false.
 */
import type { A2ATaskRepo } from './a2a-tasks.ts';
import type { AlertDecision, IncidentResolution } from '../protocol/alerts.ts';
import type { JsonValue } from '../protocol/json.ts';
import type { ConversationRepo } from './conversation-repo.ts';

// ---------------------------------------------------------------- outbox

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

// ---------------------------------------------------------------- dead letters

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

// ---------------------------------------------------------------- inbox

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

// ---------------------------------------------------------------- replay protection

export interface NonceRepo {
  /** Records (sender, nonce) unless already seen. True when new. Exact match, never substring. */
  checkAndRecord(sender: string, nonce: string, seenAt: number, expiresAt: number): boolean;
  /** Deletes entries with expiresAt <= now. */
  prune(now: number): number;
}

// ---------------------------------------------------------------- audit

export interface AuditEntry {
  ts: number;
  direction: 'out' | 'in' | 'local';
  /** sent | queued | retry_scheduled | failed | dead_lettered | circuit_open | expired | received |
   *  duplicate | rejected_<wire code> | replayed | purged | … */
  status: string;
  id: string | null;
  from: string | null;
  to: string | null;
  type: string | null;
  subject: string | null;
  correlationId: string | null;
  conversationId: string | null;
  signed: boolean;
  encrypted: boolean;
  /** Short, secret-free detail (HTTP status, error code, attempt number). */
  detail: string | null;
}

export interface AuditFilter {
  agent?: string;
  from?: string;
  to?: string;
  type?: string;
  status?: string;
  id?: string;
  correlationId?: string;
  since?: number;
  until?: number;
  /** Only entries appended after this seq (a reader's cursor; seq is never reused). */
  afterSeq?: number;
  direction?: AuditEntry['direction'];
  limit?: number;
  /** 'asc' (default): oldest first, `limit` keeps the oldest matches; 'desc': newest first, the newest. */
  order?: 'asc' | 'desc';
}

/** How many audit entries of one direction and status, and how many of them were signed / encrypted. */
export interface AuditTally {
  direction: AuditEntry['direction'];
  status: string;
  count: number;
  signed: number;
  encrypted: number;
}

export interface AuditRepo {
  append(entry: AuditEntry): number;
  /** Oldest first, unless `order: 'desc'`. */
  query(filter?: AuditFilter): (AuditEntry & { seq: number })[];
  /** Counts per (direction, status) of the entries at or after `since` (all when absent), sorted by both. */
  tally(since?: number): AuditTally[];
  prune(before: number): number;
}

// ---------------------------------------------------------------- circuit breakers

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerRecord {
  peer: string;
  state: BreakerState;
  consecutiveFailures: number;
  openedAt: number | null;
  /** When open: the time the cool-down ends. */
  openUntil: number | null;
  /** When half-open: until when the single probe holds the slot. */
  probeUntil: number | null;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
  updatedAt: number;
}

export interface BreakerRepo {
  get(peer: string): BreakerRecord | null;
  put(record: BreakerRecord): void;
  list(): BreakerRecord[];
}

// ---------------------------------------------------------------- peers, routing

export interface PeerHealth {
  peer: string;
  reachable: boolean;
  lastProbeAt: number;
  /** Latency of the last probe that got an answer, ms. */
  latencyMs: number | null;
  httpStatus: number | null;
  consecutiveFailures: number;
  lastOkAt: number | null;
  detail: string | null;
  /** Latencies (ms) of the most recent reachable probes, oldest first (bounded by the prober). */
  samples: number[];
  /**
   * What the peer's health answer advertised the last time it was reachable (`features` of a MESH-TS
   * node's GET /health, e.g. "relay/1"); [] for an answer without any (an OpenClaw gateway, a bash
   * node); null when it was never reachable.
   */
  features: string[] | null;
}

export interface PeerHealthRepo {
  put(h: PeerHealth): void;
  get(peer: string): PeerHealth | null;
  list(): PeerHealth[];
}

/** Small key/value state: routing table (hub, relay, lastElection), queue counters, etc. */
export interface KeyValueRepo {
  get(key: string): JsonValue | null;
  set(key: string, value: JsonValue, now: number): void;
  delete(key: string): boolean;
}

// ---------------------------------------------------------------- conversations

// The conversation repo has its own file (conversation-repo.ts); re-exported here for one import path.
export type * from './conversation-repo.ts';

// ---------------------------------------------------------------- incidents (alert de-duplication)

export interface IncidentRecord {
  /** `inc_<UTC YYYYMMDD of firstSeen>_<host>_<check>_<8 hex>`: bash's prefix, unique. */
  id: string;
  /** `<host>/<check>`: an alert joins the active incident with its key. */
  dedupKey: string;
  /** bash's incident type; alerts open `service_alert` incidents. */
  type: string;
  /** bash's `<host>/<check>`. */
  scope: string;
  host: string;
  check: string;
  /** The alert that opened it: one line, at most 200 characters. */
  summary: string;
  status: 'active' | 'resolved';
  firstSeen: number;
  lastSeen: number;
  /** Alerts counted in it, the recovery that resolved it included. */
  alertCount: number;
  affectedHosts: string[];
  /** An alert of it escalated; it stays escalated until resolved. */
  escalated: boolean;
  /** When the operator was last notified (`new` or `escalate`): the current window starts there. */
  lastNotifiedAt: number;
  /** Alerts since lastNotifiedAt, the one that notified included. */
  windowCount: number;
  /** Alerts that notified the operator (`new` and `escalate`). */
  notifications: number;
  resolvedAt: number | null;
  resolvedBy: IncidentResolution | null;
}

export interface IncidentRepo {
  /** Inserts or replaces (by id). */
  put(i: IncidentRecord): void;
  get(id: string): IncidentRecord | null;
  /** The active incident with this key, latest lastSeen first if (against the rules) there are several. */
  findActive(dedupKey: string): IncidentRecord | null;
  /** Oldest first (by firstSeen). */
  list(filter?: { status?: IncidentRecord['status']; limit?: number }): IncidentRecord[];
  /** Deletes resolved incidents with resolvedAt < before; returns how many. Active ones are never pruned. */
  pruneResolved(before: number): number;
}

// ---------------------------------------------------------------- collaborative sessions

export interface SessionRecord {
  key: string;
  status: 'active' | 'closed';
  participants: string[];
  createdAt: number;
  lastActivity: number;
}

export interface SessionMessage {
  sessionKey: string;
  from: string;
  to: string;
  type: string;
  subject: string;
  body: string;
  messageId: string | null;
  correlationId: string | null;
  ts: number;
}

export interface SessionRepo {
  put(s: SessionRecord): void;
  get(key: string): SessionRecord | null;
  list(filter?: { status?: string }): SessionRecord[];
  /** Appends and keeps only the newest `keep` messages of the session. */
  appendMessage(m: SessionMessage, keep: number): void;
  messages(key: string, limit?: number): SessionMessage[];
  delete(key: string): boolean;
}

// ---------------------------------------------------------------- event log

export interface MeshEventRecord {
  /** Monotonic, gap-free per store (SSE `id:`; resume with Last-Event-ID). */
  seq: number;
  ts: number;
  type: string;
  data: JsonValue;
}

export interface EventLog {
  append(type: string, data: JsonValue, ts: number): number;
  /** Events with seq > afterSeq, ascending. */
  after(afterSeq: number, limit?: number): MeshEventRecord[];
  latestSeq(): number;
  prune(before: number): number;
}

// ---------------------------------------------------------------- the store

export interface TransactionOptions {
  /**
   * Durability of the commit. By default (true) a transaction that returned is on disk: it survives
   * a power loss (the SQLite store fsyncs the WAL in the commit, `synchronous = FULL`), so its effect
   * may be acknowledged outside the process (a 202 to a peer, an exit code). `false` lets the commit
   * skip the fsync: it still survives a crash of the process, and a later durable commit makes it
   * durable too. Use it only where nothing the transaction holds is acknowledged before such a later
   * commit. Decided by the outermost transaction; nested ones join its commit.
   */
  durable?: boolean;
}

export interface Store {
  readonly outbox: OutboxRepo;
  readonly deadLetters: DeadLetterRepo;
  readonly inbox: InboxRepo;
  readonly nonces: NonceRepo;
  readonly audit: AuditRepo;
  readonly breakers: BreakerRepo;
  readonly peers: PeerHealthRepo;
  readonly kv: KeyValueRepo;
  readonly conversations: ConversationRepo;
  readonly incidents: IncidentRepo;
  readonly sessions: SessionRepo;
  readonly events: EventLog;
  /** A2A tasks this node serves (ports/a2a-tasks.ts). */
  readonly a2aTasks: A2ATaskRepo;
  transaction<T>(fn: () => T, options?: TransactionOptions): T;
  /**
   * Runs `fn` after the current (outermost) transaction commits, or at once outside a transaction;
   * never when it (or the nested transaction `fn` was registered in) rolls back. For telling
   * in-process listeners about state that other readers can now see.
   */
  afterCommit(fn: () => void): void;
  close(): void;
}
