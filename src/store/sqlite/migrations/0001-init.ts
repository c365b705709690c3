/**
 * Schema version 1. Migrations are append-only: never edit a shipped one, add 0002-… instead.
 * Times are epoch milliseconds (INTEGER), booleans 0/1, JSON columns TEXT (JSON.stringify).
 * Partial indexes on `state = 'pending'` keep the worker's queries proportional to the work due,
 * not to the table size; queries must repeat the exact WHERE term for SQLite to use them.
 * No foreign keys: the port promises that writes never fail for a missing parent row.
 */
export const migration0001Init = `
CREATE TABLE outbox (
  id              TEXT PRIMARY KEY NOT NULL,
  peer            TEXT NOT NULL,
  type            TEXT NOT NULL,
  envelope        TEXT NOT NULL,
  session_key     TEXT,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  lease_until     INTEGER NOT NULL DEFAULT 0,
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
  delivered_at    INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, created_at) WHERE state = 'pending';
CREATE INDEX outbox_peer_due ON outbox (peer, next_attempt_at, created_at) WHERE state = 'pending';
CREATE INDEX outbox_pending_created ON outbox (created_at) WHERE state = 'pending';
CREATE INDEX outbox_pending_expires ON outbox (expires_at) WHERE state = 'pending';
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE state = 'delivered';

CREATE TABLE dead_letters (
  id          TEXT PRIMARY KEY NOT NULL,
  peer        TEXT NOT NULL,
  type        TEXT NOT NULL,
  envelope    TEXT NOT NULL,
  session_key TEXT,
  reason      TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  last_error  TEXT,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  failed_at   INTEGER NOT NULL
);
CREATE INDEX dead_letters_failed ON dead_letters (failed_at);
CREATE INDEX dead_letters_peer ON dead_letters (peer, failed_at);
CREATE INDEX dead_letters_expires ON dead_letters (expires_at);

CREATE TABLE inbox (
  id                TEXT PRIMARY KEY NOT NULL,
  from_agent        TEXT NOT NULL,
  to_agent          TEXT NOT NULL,
  type              TEXT NOT NULL,
  correlation_id    TEXT,
  conversation_id   TEXT,
  idempotency_key   TEXT,
  subject           TEXT NOT NULL,
  envelope          TEXT NOT NULL,
  body              TEXT NOT NULL,
  auth              TEXT NOT NULL,
  received_at       INTEGER NOT NULL,
  read_at           INTEGER,
  delivery_state    TEXT NOT NULL CHECK (delivery_state IN ('pending', 'delivered', 'failed', 'none')),
  delivery_attempts INTEGER NOT NULL DEFAULT 0,
  delivery_error    TEXT,
  next_delivery_at  INTEGER NOT NULL,
  lease_until       INTEGER NOT NULL DEFAULT 0,
  handed_off_at     INTEGER
);
CREATE UNIQUE INDEX inbox_idempotency ON inbox (from_agent, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX inbox_correlation ON inbox (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX inbox_conversation ON inbox (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX inbox_received ON inbox (received_at);
CREATE INDEX inbox_unread ON inbox (received_at) WHERE read_at IS NULL;
CREATE INDEX inbox_handoff ON inbox (received_at) WHERE delivery_state = 'pending';

CREATE TABLE nonces (
  sender     TEXT NOT NULL,
  nonce      TEXT NOT NULL,
  seen_at    INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (sender, nonce)
) WITHOUT ROWID;
CREATE INDEX nonces_expires ON nonces (expires_at);

CREATE TABLE audit (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  ts              INTEGER NOT NULL,
  direction       TEXT NOT NULL,
  status          TEXT NOT NULL,
  msg_id          TEXT,
  from_agent      TEXT,
  to_agent        TEXT,
  type            TEXT,
  subject         TEXT,
  correlation_id  TEXT,
  conversation_id TEXT,
  signed          INTEGER NOT NULL,
  encrypted       INTEGER NOT NULL,
  detail          TEXT
);
CREATE INDEX audit_ts ON audit (ts);
CREATE INDEX audit_msg ON audit (msg_id) WHERE msg_id IS NOT NULL;
CREATE INDEX audit_correlation ON audit (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX audit_from ON audit (from_agent);
CREATE INDEX audit_to ON audit (to_agent);

CREATE TABLE breakers (
  peer                 TEXT PRIMARY KEY NOT NULL,
  state                TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half-open')),
  consecutive_failures INTEGER NOT NULL,
  opened_at            INTEGER,
  open_until           INTEGER,
  probe_until          INTEGER,
  last_failure_at      INTEGER,
  last_success_at      INTEGER,
  updated_at           INTEGER NOT NULL
);

CREATE TABLE peer_health (
  peer                 TEXT PRIMARY KEY NOT NULL,
  reachable            INTEGER NOT NULL,
  last_probe_at        INTEGER NOT NULL,
  latency_ms           REAL,
  http_status          INTEGER,
  consecutive_failures INTEGER NOT NULL,
  last_ok_at           INTEGER,
  detail               TEXT
);

CREATE TABLE kv (
  key        TEXT PRIMARY KEY NOT NULL,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE conversations (
  id            TEXT PRIMARY KEY NOT NULL,
  kind          TEXT NOT NULL,
  initiator     TEXT NOT NULL,
  subject       TEXT NOT NULL,
  status        TEXT NOT NULL,
  participants  TEXT NOT NULL,
  current_round INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  expires_at    INTEGER,
  data          TEXT NOT NULL
);
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX conversations_status ON conversations (status, created_at);

CREATE TABLE rounds (
  conversation_id    TEXT NOT NULL,
  round              INTEGER NOT NULL,
  question           TEXT NOT NULL,
  status             TEXT NOT NULL,
  expected_responses INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  consensus          TEXT,
  consensus_summary  TEXT,
  PRIMARY KEY (conversation_id, round)
);

CREATE TABLE responses (
  conversation_id TEXT NOT NULL,
  round           INTEGER NOT NULL,
  agent           TEXT NOT NULL,
  message_id      TEXT,
  body            TEXT NOT NULL,
  received_at     INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, round, agent)
);

CREATE TABLE incidents (
  id             TEXT PRIMARY KEY NOT NULL,
  dedup_key      TEXT NOT NULL,
  type           TEXT NOT NULL,
  scope          TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('active', 'resolved')),
  first_seen     INTEGER NOT NULL,
  last_seen      INTEGER NOT NULL,
  alert_count    INTEGER NOT NULL,
  affected_hosts TEXT NOT NULL,
  escalated      INTEGER NOT NULL,
  resolved_at    INTEGER
);
CREATE INDEX incidents_active ON incidents (dedup_key, last_seen) WHERE status = 'active';
CREATE INDEX incidents_first_seen ON incidents (first_seen);

CREATE TABLE sessions (
  key           TEXT PRIMARY KEY NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('active', 'closed')),
  participants  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  last_activity INTEGER NOT NULL
);

CREATE TABLE session_messages (
  id             INTEGER PRIMARY KEY,
  session_key    TEXT NOT NULL,
  from_agent     TEXT NOT NULL,
  to_agent       TEXT NOT NULL,
  type           TEXT NOT NULL,
  subject        TEXT NOT NULL,
  body           TEXT NOT NULL,
  message_id     TEXT,
  correlation_id TEXT,
  ts             INTEGER NOT NULL
);
CREATE INDEX session_messages_key ON session_messages (session_key, id);

CREATE TABLE events (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  ts   INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX events_ts ON events (ts);
`;
