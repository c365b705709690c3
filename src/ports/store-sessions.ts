/**
 * The collaborative-session part of the Store port.
 * Same conventions as store.ts: times are epoch milliseconds, methods are synchronous and atomic on
 * their own, "not found" is null/false, and callers group calls with `Store.transaction`.
 */
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
