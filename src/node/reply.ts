/**
 * Replying to a received request (`mesh reply`, handler output): a `response` to the original sender,
 * correlationId = the request id, replyContext echoed untouched (its ordered form, so bash-signed
 * contexts re-serialize identically), conversationId kept. The original must be a message this node
 * verified: given as an id it is looked up in the inbox; given as envelope text it is verified first.
 */
import { parseOrdered } from '../protocol/canonical-json.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import type { InboxMessage } from '../ports/store.ts';
import type { MeshNode } from './mesh-node.ts';
import { inboundOf } from './node-inbound.ts';
import { a2aTaskOfRequest, completeA2ATask } from './a2a/a2a-tasks.ts';
import { sendMessage, type SendInput, type TargetResult } from './send-message.ts';

/** Resolves `<original-envelope|message-id>` to a verified inbox message. */
export function resolveOriginal(node: MeshNode, ref: string): InboxMessage {
  const text = ref.trim();
  if (!text.startsWith('{')) {
    const m = node.store.inbox.get(text);
    if (m === null) throw new MeshError(MeshErrorCode.NotFound, `no received message with id "${text.slice(0, 80)}" (see mesh inbox)`);
    return m;
  }
  let id: unknown;
  let wrapped: boolean;
  try {
    const doc = parseOrdered(text);
    wrapped = typeof getField(doc, 'message') !== 'undefined' && getField(doc, 'protocol') === undefined;
    const env = wrapped ? parseOrdered(String(getField(doc, 'message'))) : doc;
    id = getField(env, 'id');
  } catch (e) {
    throw new MeshError(MeshErrorCode.InvalidEnvelope, `the original is neither a message id nor envelope JSON: ${(e as Error).message}`);
  }
  if (typeof id === 'string') {
    const known = node.store.inbox.get(id);
    if (known) return known;
  }
  const res = inboundOf(node).handle({ pathSender: null, bodyText: text, wrapped });
  if (res.status >= 300 || typeof res.body.id !== 'string') {
    throw new MeshError(MeshErrorCode.SignatureInvalid, `the original envelope was rejected (${res.body.code ?? res.status}: ${res.body.error ?? 'verification failed'}); only verified messages can be answered`);
  }
  const m = node.store.inbox.get(res.body.id);
  if (m === null) throw new MeshError(MeshErrorCode.Internal, 'verified message is missing from the inbox');
  return m;
}

export async function replyToMessage(
  node: MeshNode,
  original: InboxMessage,
  body: string,
  extra: Partial<Omit<SendInput, 'target' | 'type' | 'body' | 'correlationId'>> = {},
): Promise<TargetResult[]> {
  // A request that came from an A2A client is answered by completing its task (docs/a2a.md).
  const task = a2aTaskOfRequest(node, original.id);
  if (task !== null) {
    const done = completeA2ATask(node, task, body);
    return [{ peer: original.from, id: done.id, status: 'delivered', attempts: 0, reason: 'a2a task completed' }];
  }
  const replyContext = getField(parseOrdered(original.envelope), 'replyContext') ?? null;
  return sendMessage(node, {
    ...extra,
    target: original.from,
    type: 'response',
    body,
    correlationId: original.id,
    conversationId: extra.conversationId ?? original.conversationId,
    replyContext: replyContext as JsonValue,
  });
}
