/**
 * The A2A tasks use cases (docs/a2a.md). An A2A message from an authenticated client becomes a MESH
 * request from that client to this node's agent, stored in the inbox like a verified message, so the
 * configured hand-off (handler, OpenClaw, inbox) takes it from there; the agent's `mesh reply` (or the
 * handler's answer) completes the task with an artifact instead of sending a MESH response. All of it
 * happens in store transactions, each change with its task event, so a task survives a restart and
 * a stream resumes from the last event a client saw.
 */
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { A2AErrorCode, A2ARpcError } from '../../protocol/a2a/a2a-wire.ts';
import type { SendMessageParams, ValidatedA2AMessage } from '../../protocol/a2a/a2a-schema.ts';
import { buildEnvelope, truncateUtf8 } from '../../protocol/envelope.ts';
import { serializeJq } from '../../protocol/canonical-json.ts';
import { wireTimestamp } from '../../protocol/time.ts';
import type { JsonValue } from '../../protocol/json.ts';
import type { AuditEntry } from '../../ports/store.ts';
import { isTerminalTaskState, type A2ATaskRecord, type A2ATaskState } from '../../ports/a2a-tasks.ts';
import type { MeshNode } from '../mesh-node.ts';
import { agentDeliveryOf } from '../node-inbound.ts';
import type { A2AClient } from './a2a-clients.ts';
import { artifactEvent, statusEvent } from './a2a-task-view.ts';

const SUBJECT_MAX_BYTES = 120;
/** How long a MESH request made from an A2A message lives (the envelope's TTL, seconds). */
const A2A_REQUEST_TTL_SECONDS = 86_400;

/** The body the agent gets: text parts as they are, data parts as JSON, one per line. */
function bodyOf(m: ValidatedA2AMessage, maxBytes: number): string {
  const pieces: string[] = [];
  for (const p of m.parts) {
    if ('unsupported' in p) throw new A2ARpcError(A2AErrorCode.ContentTypeNotSupported, `${p.unsupported} parts are not supported: send text or data parts`);
    pieces.push('text' in p ? p.text : JSON.stringify(p.data));
  }
  const body = pieces.join('\n');
  if (Buffer.byteLength(body, 'utf8') > maxBytes) throw new A2ARpcError(A2AErrorCode.InvalidParams, `message text exceeds ${maxBytes} bytes`);
  if (body.trim() === '') throw new A2ARpcError(A2AErrorCode.InvalidParams, 'message has no text');
  return body;
}

/** What is kept of the client's message: only validated fields (the task's history). */
function storedMessage(m: ValidatedA2AMessage, contextId: string, taskId: string): string {
  const parts = m.parts.map((p) => ('text' in p ? { text: p.text } : 'data' in p ? { data: p.data as JsonValue } : null)).filter((p) => p !== null);
  return JSON.stringify({ messageId: m.messageId, role: 'ROLE_USER', parts, contextId, taskId });
}

function appendChange(node: MeshNode, t: A2ATaskRecord, state: A2ATaskState, now: number, text: string | null): void {
  node.store.a2aTasks.appendEvent(t.id, statusEvent(t, state, now, text) as unknown as JsonValue, now);
  node.events.emit({ type: 'a2a.task', taskId: t.id, client: t.client, state, messageId: t.inboxId });
}

function audit(
  ts: number, direction: AuditEntry['direction'], status: string, id: string, from: string, to: string, type: string, detail: string, subject: string | null = null,
): AuditEntry {
  return { ts, direction, status, id, from, to, type, subject, correlationId: null, conversationId: null, signed: false, encrypted: false, detail };
}

export interface Accepted { task: A2ATaskRecord; duplicate: boolean }

/**
 * Stores the task and its MESH request in one transaction. The same messageId from the same client
 * is the same task (idempotency: a retried SendMessage never reaches the agent twice); the same
 * messageId with a different message is refused.
 */
export function acceptA2AMessage(node: MeshNode, client: A2AClient, params: SendMessageParams): Accepted {
  const m = params.message;
  if (m.role === 'ROLE_AGENT') throw new A2ARpcError(A2AErrorCode.InvalidParams, 'message.role must be ROLE_USER');
  const body = bodyOf(m, node.config.a2a.maxTextBytes);
  const store = node.store;
  const now = node.clock.now();
  if (m.taskId !== undefined) {
    const t = store.a2aTasks.get(m.taskId);
    if (t === null || t.client !== client.name) throw new A2ARpcError(A2AErrorCode.TaskNotFound, 'task not found');
    throw new A2ARpcError(A2AErrorCode.UnsupportedOperation, 'a MESH task takes one message; send a new message (same contextId) instead');
  }
  const taskId = `task-${node.ids.hex(16)}`;
  const contextId = m.contextId ?? `ctx-${node.ids.hex(16)}`;
  const request = storedMessage(m, contextId, taskId);
  const inboxId = node.ids.messageId();
  const task: A2ATaskRecord = {
    id: taskId, contextId, client: client.name, messageId: m.messageId, inboxId, state: 'TASK_STATE_SUBMITTED',
    request, resultText: null, statusText: null, createdAt: now, updatedAt: now,
  };
  const env = buildEnvelope({
    id: inboxId, timestamp: wireTimestamp(now), from: client.name, to: node.self, type: 'request', nonce: node.ids.nonce(),
    subject: truncateUtf8(body.split('\n', 1)[0] ?? '', SUBJECT_MAX_BYTES), body, ttl: A2A_REQUEST_TTL_SECONDS,
    idempotencyKey: `a2a:${m.messageId}`,
    metadata: { a2a: { taskId, contextId, messageId: m.messageId } },
  });
  const deliveryState = agentDeliveryOf(node) === null ? 'none' : 'pending';
  return store.transaction((): Accepted => {
    const ins = store.a2aTasks.insert(task);
    if (!ins.inserted) {
      if (JSON.stringify({ ...JSON.parse(ins.existing.request), contextId: null, taskId: null }) !== JSON.stringify({ ...JSON.parse(request), contextId: null, taskId: null })
        || (m.contextId !== undefined && m.contextId !== ins.existing.contextId)) {
        throw new A2ARpcError(A2AErrorCode.InvalidParams, 'messageId was already used for a different message');
      }
      return { task: ins.existing, duplicate: true };
    }
    store.inbox.insert({
      id: inboxId, from: client.name, to: node.self, type: 'request', correlationId: null, conversationId: null,
      idempotencyKey: env.idempotencyKey, subject: env.payload.subject, envelope: serializeJq(env as unknown as JsonValue), body,
      auth: 'a2a-bearer', receivedAt: now, deliveryState, nextDeliveryAt: now,
    });
    node.audit.record(audit(now, 'in', 'received', inboxId, client.name, node.self, 'request', `auth=a2a-bearer; a2a task ${taskId}`, env.payload.subject));
    node.events.emit({ type: 'message.received', id: inboxId, from: client.name, messageType: 'request', correlationId: null });
    appendChange(node, task, 'TASK_STATE_SUBMITTED', now, null);
    return { task, duplicate: false };
  });
}

/** The client's own task, or TaskNotFound (another client's task id proves nothing exists). */
export function clientTask(node: MeshNode, client: A2AClient, id: string): A2ATaskRecord {
  const t = node.store.a2aTasks.get(id);
  if (t === null || t.client !== client.name) throw new A2ARpcError(A2AErrorCode.TaskNotFound, 'task not found');
  return t;
}

/**
 * CancelTask, honestly: a task whose request has not reached the agent is withdrawn (the hand-off
 * will not happen) and canceled; one the agent has (handed off, being handed off, or read from the
 * inbox) cannot be taken back and is refused with TaskNotCancelable, as is a finished task.
 */
export function cancelA2ATask(node: MeshNode, client: A2AClient, id: string): A2ATaskRecord {
  const store = node.store;
  return store.transaction(() => {
    const t = clientTask(node, client, id);
    if (isTerminalTaskState(t.state)) throw new A2ARpcError(A2AErrorCode.TaskNotCancelable, `task is already ${t.state}`);
    const now = node.clock.now();
    const reason = 'canceled by the A2A client before it reached the agent';
    if (t.state !== 'TASK_STATE_SUBMITTED' || !store.inbox.withdraw(t.inboxId, now, reason)) {
      throw new A2ARpcError(A2AErrorCode.TaskNotCancelable, 'the agent already has this task; it cannot be taken back');
    }
    store.a2aTasks.transition(t.id, ['TASK_STATE_SUBMITTED'], 'TASK_STATE_CANCELED', { statusText: reason }, now);
    appendChange(node, t, 'TASK_STATE_CANCELED', now, reason);
    node.audit.record(audit(now, 'local', 'a2a_canceled', t.inboxId, t.client, node.self, 'request', `a2a task ${t.id}`));
    const after = store.a2aTasks.get(t.id);
    return after ?? t;
  });
}

/** The hand-off worker gave the request to the agent: the task is working (called in its transaction). */
export function a2aHandedOff(node: MeshNode, inboxId: string): void {
  const t = node.store.a2aTasks.byInboxId(inboxId);
  if (t === null) return;
  const now = node.clock.now();
  if (node.store.a2aTasks.transition(t.id, ['TASK_STATE_SUBMITTED'], 'TASK_STATE_WORKING', {}, now)) appendChange(node, t, 'TASK_STATE_WORKING', now, null);
}

/** The hand-off failed for good: so did the task (called in the worker's transaction). */
export function a2aHandOffFailed(node: MeshNode, inboxId: string, error: string): void {
  const t = node.store.a2aTasks.byInboxId(inboxId);
  if (t === null) return;
  const now = node.clock.now();
  const text = `the agent could not be reached: ${error}`.slice(0, 500);
  if (node.store.a2aTasks.transition(t.id, ['TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING'], 'TASK_STATE_FAILED', { statusText: text }, now)) {
    appendChange(node, t, 'TASK_STATE_FAILED', now, text);
  }
}

/** The task a MESH request came from, when it came from an A2A client (for `mesh reply`). */
export function a2aTaskOfRequest(node: MeshNode, inboxId: string): A2ATaskRecord | null {
  return node.store.a2aTasks.byInboxId(inboxId);
}

/**
 * The agent answered: the task completes with the answer as its artifact. Once only: a second
 * answer, or one to a canceled task, is refused (MeshError) rather than silently dropped.
 */
export function completeA2ATask(node: MeshNode, t: A2ATaskRecord, text: string): A2ATaskRecord {
  const store = node.store;
  return store.transaction(() => {
    const now = node.clock.now();
    if (!store.a2aTasks.transition(t.id, ['TASK_STATE_SUBMITTED', 'TASK_STATE_WORKING'], 'TASK_STATE_COMPLETED', { resultText: text }, now)) {
      const cur = store.a2aTasks.get(t.id);
      throw new MeshError(MeshErrorCode.InvalidState, `the A2A task ${t.id} is already ${cur?.state ?? 'gone'}: nothing was sent`);
    }
    store.a2aTasks.appendEvent(t.id, artifactEvent(t, text) as unknown as JsonValue, now);
    appendChange(node, t, 'TASK_STATE_COMPLETED', now, null);
    node.audit.record(audit(now, 'out', 'a2a_completed', t.inboxId, node.self, t.client, 'response', `a2a task ${t.id}`));
    return store.a2aTasks.get(t.id) ?? t;
  });
}
