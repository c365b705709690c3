/**
 * The MESH envelope as bash MESH v3.2 emits it (bash-mesh-behavior.md §2.1) and as we emit it.
 * Key order matters on the wire: `buildEnvelope` constructs objects in exactly the §2.1 order.
 * Types only plus the builder; the zod schema for untrusted input lives in envelope-schema.ts so
 * the send path does not pay for loading zod.
 */
import { getField, type JsonValue } from './json.ts';

export const PROTOCOL_EMITTED = 'mesh/1.0';
export const PROTOCOLS_ACCEPTED = ['mesh/1.0', 'mesh/3.0', 'sfiac/1.0'] as const;

export const MESSAGE_TYPES = ['request', 'response', 'notification', 'alert', 'ack'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];
export const isMessageType = (s: string): s is MessageType => (MESSAGE_TYPES as readonly string[]).includes(s);

export const DEFAULT_TTL_SECONDS = 300;
export const DEFAULT_PRIORITY = 'normal';
/** bash cuts the default subject at 80 bytes. We cut at 80 bytes too, but never inside a UTF-8 character. */
export const SUBJECT_MAX_BYTES = 80;

export interface ReplyTo {
  url: string;
  token: string;
}

export interface RelayInfo {
  from: string;
  via: string;
  originalTo: string;
}

export interface InlineAttachment {
  type: 'inline';
  encoding: 'base64';
  data: string;
  filename?: string;
  mimeType?: string;
  size?: number;
}
export interface UrlAttachment {
  type: 'url';
  url: string;
  filename?: string;
  mimeType?: string;
  size?: number;
  description?: string;
  /** MESH-TS extension: when the URL expires (ISO time), for files served by the node. */
  expiresAt?: string;
}
export type Attachment = InlineAttachment | UrlAttachment;

export interface Payload {
  subject: string;
  body: string;
  attachments: Attachment[];
  metadata: JsonValue;
  /** Present (true) only when `body` holds ciphertext JSON ({"enc":…,"iv":…,"data":…}). */
  encrypted?: true;
}

/** The full envelope. Fields after `payload` are appended only when they apply. */
export interface Envelope {
  protocol: string;
  id: string;
  timestamp: string;
  from: string;
  to: string;
  type: MessageType;
  correlationId: string | null;
  conversationId: string | null;
  replyTo: ReplyTo | null;
  replyContext: JsonValue;
  session: JsonValue;
  priority: string;
  ttl: number;
  idempotencyKey: string | null;
  nonce: string | null;
  payload: Payload;
  /** `sha256:<b64>` (HMAC, bash-compatible), bare base64 (bash responses), or `ed25519:<b64>` (MESH-TS). */
  signature?: string;
  relay?: RelayInfo;
}

export interface EnvelopeFields {
  id: string;
  timestamp: string;
  from: string;
  to: string;
  type: MessageType;
  nonce: string;
  subject?: string | undefined;
  body: string;
  correlationId?: string | null | undefined;
  conversationId?: string | null | undefined;
  replyTo?: ReplyTo | null | undefined;
  replyContext?: JsonValue | undefined;
  session?: JsonValue | undefined;
  priority?: string | undefined;
  ttl?: number | undefined;
  idempotencyKey?: string | null | undefined;
  attachments?: Attachment[] | undefined;
  metadata?: JsonValue | undefined;
}

/** First `maxBytes` bytes of `text` as UTF-8, never splitting a character (bash splits; jq then emits U+FFFD). */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so we cut on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** `conversationId` falls back to `replyContext.conversationId`, as mesh-send does. */
function conversationIdFrom(fields: EnvelopeFields): string | null {
  if (fields.conversationId != null) return fields.conversationId;
  const c = getField(fields.replyContext ?? null, 'conversationId');
  return typeof c === 'string' ? c : null;
}

/** Builds an unsigned envelope with the 16 keys in bash's order and nulls for absent values. */
export function buildEnvelope(fields: EnvelopeFields): Envelope {
  return {
    protocol: PROTOCOL_EMITTED,
    id: fields.id,
    timestamp: fields.timestamp,
    from: fields.from,
    to: fields.to,
    type: fields.type,
    correlationId: fields.correlationId ?? null,
    conversationId: conversationIdFrom(fields),
    replyTo: fields.type === 'request' ? (fields.replyTo ?? null) : null,
    replyContext: fields.replyContext ?? null,
    session: fields.session ?? null,
    priority: fields.priority ?? DEFAULT_PRIORITY,
    ttl: fields.ttl ?? DEFAULT_TTL_SECONDS,
    idempotencyKey: fields.idempotencyKey ?? null,
    nonce: fields.nonce,
    payload: {
      subject: fields.subject ?? truncateUtf8(fields.body, SUBJECT_MAX_BYTES),
      body: fields.body,
      attachments: fields.attachments ?? [],
      metadata: fields.metadata ?? {},
    },
  };
}
