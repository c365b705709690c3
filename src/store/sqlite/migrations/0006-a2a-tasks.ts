/**
 * Schema version 6 (`a2a-tasks`): the A2A tasks this node serves (ports/a2a-tasks.ts) and their
 * numbered events, from which a stream resumes. (client, message_id) is unique: the idempotency of
 * A2A's messageId, which A2A itself leaves to the server.
 */
export const migration0006A2aTasks = `
CREATE TABLE a2a_tasks (
  id TEXT PRIMARY KEY,
  context_id TEXT NOT NULL,
  client TEXT NOT NULL,
  message_id TEXT NOT NULL,
  inbox_id TEXT NOT NULL,
  state TEXT NOT NULL,
  request TEXT NOT NULL,
  result_text TEXT,
  status_text TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (client, message_id)
);
CREATE INDEX a2a_tasks_client ON a2a_tasks (client, created_at DESC, id DESC);
CREATE INDEX a2a_tasks_inbox ON a2a_tasks (inbox_id);
CREATE TABLE a2a_task_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX a2a_task_events_task ON a2a_task_events (task_id, seq);
CREATE TABLE a2a_remote (
  message_id TEXT PRIMARY KEY,
  peer TEXT NOT NULL,
  task_id TEXT NOT NULL,
  conversation_id TEXT,
  created_at INTEGER NOT NULL,
  next_check_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX a2a_remote_due ON a2a_remote (next_check_at);
`;
