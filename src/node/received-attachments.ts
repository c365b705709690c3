/**
 * The attachments of a received message as if they had travelled in clear: the decrypted ones
 * stored beside the body when they came inside the ciphertext, else the envelope's own
 * `payload.attachments`. Both were validated by the inbound pipeline before they were stored.
 */
import type { Attachment } from '../protocol/envelope.ts';
import type { InboxMessage } from '../ports/store.ts';
import type { EncryptionCoverage } from './compose.ts';

type Row = Pick<InboxMessage, 'envelope' | 'sealedAttachments'>;

/** The stored envelope's payload (verified wire text), or null when it cannot be read. */
function wirePayload(m: Row): { attachments?: unknown; encrypted?: unknown } | null {
  try {
    const doc = JSON.parse(m.envelope) as { payload?: unknown } | null;
    const p = doc?.payload;
    return typeof p === 'object' && p !== null ? p : null;
  } catch {
    return null;
  }
}

export function receivedAttachments(m: Row): Attachment[] {
  let list: unknown;
  try {
    list = m.sealedAttachments !== null ? JSON.parse(m.sealedAttachments) : wirePayload(m)?.attachments;
  } catch {
    list = null;
  }
  return Array.isArray(list) ? (list as Attachment[]) : [];
}

/** What of a received message travelled encrypted, in the shape `mesh send` reports it. */
export function receivedEncryption(m: Row): EncryptionCoverage {
  const body = wirePayload(m)?.encrypted === true;
  if (m.sealedAttachments !== null) return { body, attachments: true };
  return { body, attachments: receivedAttachments(m).length === 0 ? 'none' : false };
}
