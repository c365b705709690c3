/**
 * The audit part of the Store port: one entry per message sent, received, refused or failed.
 * Same conventions as store.ts: times are epoch milliseconds, methods are synchronous and atomic on
 * their own, "not found" is null/false, and callers group calls with `Store.transaction`.
 */
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
