/**
 * Schema version 2: conversations as the conversations service models them (ports/conversation-repo.ts).
 * The version-1 tables `conversations`, `rounds` and `responses` were never written by any release,
 * so they are dropped rather than migrated.
 *
 * Indexes are kept to what a query needs: `conversations_created` (listing, newest first; `since`),
 * `conversations_active` (the scheduler's work list, partial so finished conversations cost
 * nothing), one per child table for "everything of this conversation". Search is full text (FTS5)
 * over round questions and response bodies, as external-content tables kept in step by triggers, so
 * the text is stored once. Their rowids are explicit INTEGER PRIMARY KEY columns (`seq`): an implicit
 * rowid may change on VACUUM, which would detach the index from its rows.
 */
export const migration0003Conversations = `
DROP TABLE IF EXISTS responses;
DROP TABLE IF EXISTS rounds;
DROP TABLE IF EXISTS conversations;

CREATE TABLE conversations (
  id            TEXT PRIMARY KEY NOT NULL,
  type          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('initiator', 'participant')),
  initiator     TEXT NOT NULL,
  participants  TEXT NOT NULL,
  subject       TEXT NOT NULL,
  ttl_seconds   INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  deadline      INTEGER NOT NULL,
  status        TEXT NOT NULL,
  status_reason TEXT,
  current_round INTEGER NOT NULL,
  options       TEXT NOT NULL,
  verdict       TEXT
);
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX conversations_active ON conversations (deadline) WHERE status = 'active';

CREATE TABLE conversation_rounds (
  seq             INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL,
  round           INTEGER NOT NULL,
  question        TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  deadline        INTEGER NOT NULL,
  expected        TEXT NOT NULL,
  quorum          INTEGER,
  status          TEXT NOT NULL,
  closed_at       INTEGER,
  UNIQUE (conversation_id, round)
);

CREATE TABLE conversation_responses (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  conversation_id  TEXT NOT NULL,
  round            INTEGER NOT NULL,
  agent            TEXT NOT NULL,
  correlation_id   TEXT,
  body             TEXT NOT NULL,
  received_at      INTEGER NOT NULL,
  auth             TEXT NOT NULL,
  correlated_by    TEXT NOT NULL,
  counted          INTEGER NOT NULL,
  from_participant INTEGER NOT NULL
);
CREATE INDEX conversation_responses_round ON conversation_responses (conversation_id, round);

CREATE TABLE conversation_requests (
  id              TEXT PRIMARY KEY NOT NULL,
  conversation_id TEXT NOT NULL,
  round           INTEGER NOT NULL,
  agent           TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  delivery        TEXT NOT NULL,
  error           TEXT
);
CREATE INDEX conversation_requests_round ON conversation_requests (conversation_id, round);

CREATE VIRTUAL TABLE conversation_questions_fts USING fts5(
  question, content = 'conversation_rounds', content_rowid = 'seq'
);
CREATE TRIGGER conversation_rounds_fts_insert AFTER INSERT ON conversation_rounds BEGIN
  INSERT INTO conversation_questions_fts (rowid, question) VALUES (new.seq, new.question);
END;
CREATE TRIGGER conversation_rounds_fts_delete AFTER DELETE ON conversation_rounds BEGIN
  INSERT INTO conversation_questions_fts (conversation_questions_fts, rowid, question) VALUES ('delete', old.seq, old.question);
END;
CREATE TRIGGER conversation_rounds_fts_update AFTER UPDATE OF question ON conversation_rounds BEGIN
  INSERT INTO conversation_questions_fts (conversation_questions_fts, rowid, question) VALUES ('delete', old.seq, old.question);
  INSERT INTO conversation_questions_fts (rowid, question) VALUES (new.seq, new.question);
END;

CREATE VIRTUAL TABLE conversation_bodies_fts USING fts5(
  body, content = 'conversation_responses', content_rowid = 'seq'
);
CREATE TRIGGER conversation_responses_fts_insert AFTER INSERT ON conversation_responses BEGIN
  INSERT INTO conversation_bodies_fts (rowid, body) VALUES (new.seq, new.body);
END;
CREATE TRIGGER conversation_responses_fts_delete AFTER DELETE ON conversation_responses BEGIN
  INSERT INTO conversation_bodies_fts (conversation_bodies_fts, rowid, body) VALUES ('delete', old.seq, old.body);
END;
CREATE TRIGGER conversation_responses_fts_update AFTER UPDATE OF body ON conversation_responses BEGIN
  INSERT INTO conversation_bodies_fts (conversation_bodies_fts, rowid, body) VALUES ('delete', old.seq, old.body);
  INSERT INTO conversation_bodies_fts (rowid, body) VALUES (new.seq, new.body);
END;
`;
