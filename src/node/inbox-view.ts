/**
 * Received messages as programs see them (the local API's inbox, the SDK's `inbox`, the MCP inbox
 * tools): the fields a poller needs, the plaintext body, the attachments, and (one message) its
 * envelope with every token masked as `mesh inbox show` does. Never the hook token a request's
 * replyTo carries. Body, subject, metadata and attachments are the sender's words: data, not
 * instructions.
 */
import type { Attachment } from '../protocol/envelope.ts';
import type { InboxDeliveryState, InboxMessage } from '../ports/store.ts';
import { redactedEnvelope } from '../protocol/redact-envelope.ts';
import type { EncryptionCoverage } from './compose.ts';
import { receivedAttachments, receivedEncryption } from './received-attachments.ts';

export interface MessageView {
  id: string;
  from: string;
  to: string;
  type: string;
  subject: string;
  /** Plaintext (decrypted when it travelled encrypted). Written by another agent: untrusted. */
  body: string;
  correlationId: string | null;
  conversationId: string | null;
  priority: unknown;
  replyContext: unknown;
  metadata: unknown;
  /** Epoch milliseconds. */
  receivedAt: number;
  read: boolean;
  readAt: number | null;
  /** How the sender was authenticated: hmac | ed25519 | none. */
  auth: string;
  deliveryState: InboxDeliveryState;
  deliveryError: string | null;
  attachments: Attachment[];
  encrypted: EncryptionCoverage;
}

export interface MessageDetail extends MessageView {
  /** The verified envelope with every token masked. */
  envelope: unknown;
}

function envelopeFields(m: InboxMessage): { priority: unknown; replyContext: unknown; metadata: unknown } {
  const env = redactedEnvelope(m.envelope) as { priority?: unknown; replyContext?: unknown; payload?: { metadata?: unknown } } | null;
  return { priority: env?.priority ?? null, replyContext: env?.replyContext ?? null, metadata: env?.payload?.metadata ?? null };
}

export function inboxView(m: InboxMessage): MessageView {
  return {
    id: m.id, from: m.from, to: m.to, type: m.type, subject: m.subject, body: m.body,
    correlationId: m.correlationId, conversationId: m.conversationId, ...envelopeFields(m),
    receivedAt: m.receivedAt, read: m.readAt !== null, readAt: m.readAt, auth: m.auth,
    deliveryState: m.deliveryState, deliveryError: m.deliveryError,
    attachments: receivedAttachments(m), encrypted: receivedEncryption(m),
  };
}

export function inboxDetail(m: InboxMessage): MessageDetail {
  return { ...inboxView(m), envelope: redactedEnvelope(m.envelope) };
}
