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
import type { ConversationRepo } from './conversation-repo.ts';
import type { AuditRepo } from './store-audit.ts';
import type { EventLog } from './store-events.ts';
import type { BreakerRepo, KeyValueRepo, PeerHealthRepo } from './store-fleet.ts';
import type { IncidentRepo } from './store-incidents.ts';
import type { InboxRepo, NonceRepo } from './store-inbox.ts';
import type { DeadLetterRepo, OutboxRepo } from './store-outbox.ts';
import type { SessionRepo } from './store-sessions.ts';

// Each repo has its own file; all are re-exported here for one import path.
export type * from './conversation-repo.ts';
export type * from './store-audit.ts';
export type * from './store-events.ts';
export type * from './store-fleet.ts';
export type * from './store-incidents.ts';
export type * from './store-inbox.ts';
export type * from './store-outbox.ts';
export type * from './store-sessions.ts';

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
