/**
 * A2A agents as MESH peers (registry `transport: "a2a"`, docs/a2a.md). Messages to them go through
 * the outbox like any other (retries, circuit breaker, dead letters, audit); this module is the
 * node's side of it:
 *  - the task a request started is remembered in the store by the node's transport (a2a-transport-mux.ts);
 *  - following those tasks (the daemon, every `a2a.followIntervalMs`): GetTask until the task
 *    finishes, then its answer is stored as the MESH response to the request (from the peer,
 *    correlationId = the request id, same conversation), so `mesh request` gets it and a
 *    conversation round counts it like any MESH peer's. A task that fails answers with its reason.
 */
import { buildEnvelope } from '../../protocol/envelope.ts';
import { serializeJq } from '../../protocol/canonical-json.ts';
import { wireTimestamp } from '../../protocol/time.ts';
import type { JsonValue } from '../../protocol/json.ts';
import type { RemoteA2ATask } from '../../ports/transport.ts';
import { getA2ATask } from '../../transports/a2a/a2a-client.ts';
import type { MeshNode } from '../mesh-node.ts';
import { agentDeliveryOf, conversationObserver } from '../node-inbound.ts';

const FINISHED = new Set(['TASK_STATE_COMPLETED', 'TASK_STATE_FAILED', 'TASK_STATE_CANCELED', 'TASK_STATE_REJECTED']);



const followIntervalMs = (node: MeshNode): number => node.config.a2a.followIntervalMs;

/**
 * Stores the remote task's outcome as the MESH response to the request, once (the same response id
 * for the same request: a second settlement is a duplicate the inbox refuses).
 */
function answered(node: MeshNode, r: { messageId: string; peer: string; conversationId: string | null }, task: RemoteA2ATask): void {
  const now = node.clock.now();
  const body = task.state === 'TASK_STATE_COMPLETED'
    ? (task.text ?? '')
    : `[A2A task ${task.state.replace('TASK_STATE_', '').toLowerCase()}]${task.text === null ? '' : ` ${task.text}`}`;
  const env = buildEnvelope({
    id: node.ids.messageId(), timestamp: wireTimestamp(now), from: r.peer, to: node.self, type: 'response', nonce: node.ids.nonce(),
    body: body === '' ? '(empty answer)' : body, correlationId: r.messageId, conversationId: r.conversationId,
    idempotencyKey: `a2a-answer:${r.messageId}`, metadata: { a2a: { taskId: task.id, state: task.state } },
  });
  const store = node.store;
  store.transaction(() => {
    if (!store.a2aTasks.dropRemote(r.messageId) && store.inbox.findByCorrelation(r.messageId).some((m) => m.from === r.peer)) return;
    const inserted = store.inbox.insert({
      id: env.id, from: r.peer, to: node.self, type: 'response', correlationId: r.messageId, conversationId: env.conversationId,
      idempotencyKey: env.idempotencyKey, subject: env.payload.subject, envelope: serializeJq(env as unknown as JsonValue), body: env.payload.body,
      auth: 'a2a-bearer', receivedAt: now, deliveryState: agentDeliveryOf(node) === null ? 'none' : 'pending', nextDeliveryAt: now,
    });
    if (!inserted.inserted) return;
    node.audit.record({
      ts: now, direction: 'in', status: 'received', id: env.id, from: r.peer, to: node.self, type: 'response', subject: env.payload.subject,
      correlationId: r.messageId, conversationId: env.conversationId, signed: false, encrypted: false, detail: `a2a task ${task.id} ${task.state}`,
    });
    node.events.emit({ type: 'message.received', id: env.id, from: r.peer, messageType: 'response', correlationId: r.messageId });
    conversationObserver(node).accepted({ envelope: env, body: env.payload.body, auth: 'none' });
  });
}

/** Checks the remote tasks that are due; returns how many were looked at. */
export async function followRemoteTasks(node: MeshNode): Promise<number> {
  const now = node.clock.now();
  const due = node.store.a2aTasks.dueRemote(now, 20);
  for (const r of due) {
    const peer = node.registry.get(r.peer);
    if (peer === null || peer.transport !== 'a2a' || r.expiresAt <= now) {
      answered(node, r, { id: r.taskId, contextId: '', state: 'TASK_STATE_FAILED', text: peer === null ? 'the peer left the registry' : 'MESH stopped following the task' });
      continue;
    }
    const res = await getA2ATask(peer.baseUrl, peer.token, r.taskId, node.config.delivery.requestTimeoutMs);
    const task = res.a2aTask;
    if (task !== undefined && FINISHED.has(task.state)) answered(node, r, task);
    else if (res.status === 400 && res.bodySnippet.startsWith('A2A error -32001')) {
      // The peer forgot the task (OpenClaw keeps them in memory only): say so rather than wait for ever.
      answered(node, r, { id: r.taskId, contextId: '', state: 'TASK_STATE_FAILED', text: 'the peer no longer knows this task (restarted?)' });
    } else node.store.a2aTasks.rescheduleRemote(r.messageId, node.clock.now() + followIntervalMs(node));
  }
  return due.length;
}
