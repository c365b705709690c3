/**
 * Received messages as the API shows them: the fields a poller needs, the plaintext body, the
 * attachments, and (one message) its envelope with every token masked as `mesh inbox show` does.
 * Never the hook token a request's replyTo carries.
 */
import { receivedAttachments, receivedEncryption } from '../../node/received-attachments.ts';
import type { InboxMessage } from '../../ports/store.ts';
import { redactedEnvelope } from '../../protocol/redact-envelope.ts';

function envelopeFields(m: InboxMessage): { priority: unknown; replyContext: unknown; metadata: unknown } {
  const env = redactedEnvelope(m.envelope) as { priority?: unknown; replyContext?: unknown; payload?: { metadata?: unknown } } | null;
  return { priority: env?.priority ?? null, replyContext: env?.replyContext ?? null, metadata: env?.payload?.metadata ?? null };
}

export function inboxView(m: InboxMessage): Record<string, unknown> {
  return {
    id: m.id, from: m.from, to: m.to, type: m.type, subject: m.subject, body: m.body,
    correlationId: m.correlationId, conversationId: m.conversationId, ...envelopeFields(m),
    receivedAt: m.receivedAt, read: m.readAt !== null, readAt: m.readAt, auth: m.auth,
    deliveryState: m.deliveryState, deliveryError: m.deliveryError,
    attachments: receivedAttachments(m), encrypted: receivedEncryption(m),
  };
}

export function inboxDetail(m: InboxMessage): Record<string, unknown> {
  return { ...inboxView(m), envelope: redactedEnvelope(m.envelope) };
}
