/**
 * A2A tasks this node serves (MESH as an A2A 1.0 server, docs/a2a.md). One task per A2A message
 * received; it carries the MESH request it became (`inboxId`) and ends when the agent's `mesh reply`
 * completes it, its hand-off fails for good, or the client cancels it before it reached the agent.
 * Each change appends a task event (the StreamResponse a stream sends), numbered so a client that
 * lost its stream resumes from the last number it saw.
 */
import type { JsonValue } from '../protocol/json.ts';

export const A2A_TASK_STATES = [
  'TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING', 'TASK_STATE_COMPLETED', 'TASK_STATE_FAILED',
  'TASK_STATE_CANCELED', 'TASK_STATE_INPUT_REQUIRED', 'TASK_STATE_REJECTED', 'TASK_STATE_AUTH_REQUIRED',
] as const;
export type A2ATaskState = (typeof A2A_TASK_STATES)[number];

const TERMINAL: ReadonlySet<A2ATaskState> = new Set(['TASK_STATE_COMPLETED', 'TASK_STATE_FAILED', 'TASK_STATE_CANCELED', 'TASK_STATE_REJECTED']);
export const isTerminalTaskState = (s: A2ATaskState): boolean => TERMINAL.has(s);

export interface A2ATaskRecord {
  /** Server-generated (A2A 1.0: clients never choose task ids). */
  id: string;
  contextId: string;
  /** The registry's name of the A2A client that sent it (its bearer token chose it). */
  client: string;
  /** The client's messageId: a second message with the same one is the same task (idempotency). */
  messageId: string;
  /** The MESH request handed to the local agent. */
  inboxId: string;
  state: A2ATaskState;
  /** The A2A message as received (validated JSON text): the task's history. */
  request: string;
  /** The agent's answer (the artifact's text), once completed. */
  resultText: string | null;
  /** Why it failed, was canceled or rejected. */
  statusText: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface A2ATaskEvent {
  /** Monotonic per store; a stream's SSE `id:`. */
  seq: number;
  taskId: string;
  ts: number;
  /** A StreamResponse (`{statusUpdate}` or `{artifactUpdate}`), secret-free. */
  data: JsonValue;
}

export interface A2ATaskFilter {
  client: string;
  contextId?: string;
  state?: A2ATaskState;
  /** Cursor: only tasks listed after this one (newest first by createdAt, then id). */
  after?: { createdAt: number; id: string };
  limit: number;
}

/** A task one of this node's requests started on an A2A peer, followed until it finishes. */
export interface RemoteTaskRecord {
  /** The MESH request's id (the A2A messageId). */
  messageId: string;
  peer: string;
  taskId: string;
  conversationId: string | null;
  createdAt: number;
  nextCheckAt: number;
  /** Given up (and reported as undeliverable) after this. */
  expiresAt: number;
}

export interface A2ATaskRepo {
  /** Starts following a remote task (again: the later record wins). */
  followRemote(r: RemoteTaskRecord): void;
  /** Remote tasks due for a check, earliest first. */
  dueRemote(now: number, limit: number): RemoteTaskRecord[];
  rescheduleRemote(messageId: string, nextCheckAt: number): void;
  /** Stops following; false when it was not followed (someone else settled it). */
  dropRemote(messageId: string): boolean;
  /** Inserts unless (client, messageId) exists; then returns the task that has it. */
  insert(t: A2ATaskRecord): { inserted: true } | { inserted: false; existing: A2ATaskRecord };
  get(id: string): A2ATaskRecord | null;
  byInboxId(inboxId: string): A2ATaskRecord | null;
  /** Newest first. */
  list(f: A2ATaskFilter): A2ATaskRecord[];
  count(f: Omit<A2ATaskFilter, 'after' | 'limit'>): number;
  /**
   * Moves a task to `state` only if its current state is one of `from` (compare-and-set, so two
   * writers never both settle a task). False when it was not.
   */
  transition(id: string, from: readonly A2ATaskState[], to: A2ATaskState, fields: { resultText?: string; statusText?: string }, now: number): boolean;
  appendEvent(taskId: string, data: JsonValue, ts: number): number;
  /** Events of one task with seq > afterSeq, ascending. */
  events(taskId: string, afterSeq: number, limit?: number): A2ATaskEvent[];
  /** Events of all tasks with seq > afterSeq, ascending (the daemon's feed). */
  eventsAfter(afterSeq: number, limit?: number): A2ATaskEvent[];
  latestEventSeq(): number;
  /** Deletes terminal tasks (and their events) last updated before `before`. */
  prune(before: number): number;
}
