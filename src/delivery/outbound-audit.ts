/**
 * Builds outbound audit entries from the stored envelope text. Only header fields are copied:
 * never the body, the signature or anything from the peer's configuration (tokens).
 */
import type { AuditEntry } from '../ports/store.ts';
import type { JsonValue } from '../protocol/json.ts';
import { relayMarkerOf, type RelayMarker } from '../protocol/relay-marker.ts';

export interface AuditSubject {
  id: string;
  peer: string;
  type: string;
  envelope: string;
}

export interface EnvelopeHeader {
  from: string | null;
  to: string | null;
  type: string | null;
  subject: string | null;
  correlationId: string | null;
  conversationId: string | null;
  /** Mirrored in X-MESH-Signature; never written to audit or logs. */
  signature: string | null;
  signed: boolean;
  encrypted: boolean;
  /** The relay marker, when the envelope carries one (it was relayed to this node for forwarding). */
  relay: RelayMarker | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the audit-relevant header fields; a malformed envelope yields nulls rather than an error. */
export function envelopeHeader(envelopeText: string): EnvelopeHeader {
  let env: unknown;
  try {
    env = JSON.parse(envelopeText);
  } catch {
    env = null;
  }
  const e = isRecord(env) ? env : {};
  const payload = isRecord(e['payload']) ? e['payload'] : {};
  const signature = str(e['signature']);
  return {
    from: str(e['from']),
    to: str(e['to']),
    type: str(e['type']),
    subject: str(payload['subject']),
    correlationId: str(e['correlationId']),
    conversationId: str(e['conversationId']),
    signature: signature !== null && signature.length > 0 ? signature : null,
    signed: signature !== null && signature.length > 0,
    encrypted: payload['encrypted'] === true,
    relay: relayMarkerOf(e as JsonValue),
  };
}

export function outboundAuditEntry(
  msg: AuditSubject,
  status: string,
  ts: number,
  detail: string | null,
  header: EnvelopeHeader = envelopeHeader(msg.envelope),
): AuditEntry {
  return {
    ts,
    direction: 'out',
    status,
    id: msg.id,
    from: header.from,
    to: header.to ?? msg.peer,
    type: header.type ?? msg.type,
    subject: header.subject,
    correlationId: header.correlationId,
    conversationId: header.conversationId,
    signed: header.signed,
    encrypted: header.encrypted,
    detail,
  };
}
