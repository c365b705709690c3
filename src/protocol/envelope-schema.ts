/**
 * Validation of UNTRUSTED envelopes (after `toPlain`), for the inbound pipeline only: the send path
 * builds envelopes with `buildEnvelope` and never loads zod.
 *
 * Accepts every producer of bash-mesh-behavior.md §2.1/§2.2 (mesh-send, build_mesh_response,
 * mesh-reply, the Python receiver) and MESH-TS. Absent optional fields get the defaults bash's
 * `parse_mesh` applies (`.ttl // 300`, `.priority // "normal"`). Unknown keys are tolerated for
 * forward compatibility, but every size is bounded. Errors name a path and a rule, never a value.
 */
import { z } from 'zod';
import {
  DEFAULT_PRIORITY,
  DEFAULT_TTL_SECONDS,
  isMessageType,
  PROTOCOLS_ACCEPTED,
  type Attachment,
  type Envelope,
  type MessageType,
  type Payload,
} from './envelope.ts';
import { MeshError, MeshErrorCode } from './errors.ts';
import { MESSAGE_ID_RE } from './ids.ts';
import type { JsonValue } from './json.ts';
import { isValidAgentName } from './names.ts';
import { parseWireTimestamp } from './time.ts';

/** One year: longer TTLs are certainly mistakes, and bounding them keeps date arithmetic exact. */
export const MAX_TTL_SECONDS = 31_536_000;
export const MAX_BODY_CHARS = 16 * 1024 * 1024;
export const MAX_JSON_DEPTH = 64;
const MAX_TOP_LEVEL_KEYS = 64;
const MAX_ATTACHMENTS = 100;
const SHORT = 256;
const URL_MAX = 4096;

/** msg_<uuid> in either case (macOS uuidgen prints uppercase) or msg_<32 hex> (Python receiver). */
const ID_RE = new RegExp(`${MESSAGE_ID_RE.source}|^msg_[0-9A-F]{32}$`);
/** bash nonces are 32 hex; accept any printable token so other producers are not locked out. */
const NONCE_TOKEN_RE = /^[\x21-\x7e]{8,128}$/;

export function isAcceptedProtocol(p: unknown): boolean {
  return typeof p === 'string' && (PROTOCOLS_ACCEPTED as readonly string[]).includes(p);
}

const agentName = z.string().max(64).refine(isValidAgentName, 'must be a valid agent name');
const shortText = z.string().max(SHORT);
const optional = <T extends z.ZodType>(s: T) => s.nullish();

const httpUrl = z.string().max(URL_MAX).refine((s) => {
  if (!URL.canParse(s)) return false;
  const { protocol } = new URL(s);
  return protocol === 'http:' || protocol === 'https:';
}, 'must be an http(s) URL');

const replyToSchema = z.looseObject({
  url: httpUrl,
  token: z.string().max(URL_MAX).nullish(),
});

const attachmentCommon = {
  filename: z.string().max(1024).optional(),
  mimeType: z.string().max(SHORT).optional(),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
};
const attachmentSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('inline'),
    encoding: z.literal('base64'),
    data: z.string().max(MAX_BODY_CHARS),
    ...attachmentCommon,
  }),
  z.looseObject({
    type: z.literal('url'),
    url: z.string().max(URL_MAX),
    description: z.string().max(4096).optional(),
    expiresAt: z.string().max(64).optional(),
    ...attachmentCommon,
  }),
]);

const attachmentsSchema = z.array(attachmentSchema).max(MAX_ATTACHMENTS);

const payloadSchema = z.looseObject({
  subject: optional(z.string().max(4096)),
  body: z.string().max(MAX_BODY_CHARS),
  attachments: optional(attachmentsSchema),
  metadata: z.unknown().optional(),
  encrypted: optional(z.boolean()),
});

const envelopeSchema = z.looseObject({
  protocol: z.string(),
  id: z.string().max(128).regex(ID_RE, 'must be msg_<uuid> or msg_<32 hex>'),
  timestamp: optional(z.string().max(64).refine((s) => parseWireTimestamp(s) !== null, 'must be an ISO-8601 UTC time')),
  from: agentName,
  to: agentName,
  type: z.string().refine(isMessageType, 'must be request, response, notification, alert or ack'),
  correlationId: optional(shortText),
  conversationId: optional(shortText),
  replyTo: optional(replyToSchema),
  replyContext: z.unknown().optional(),
  session: z.unknown().optional(),
  priority: optional(z.string().max(32)),
  ttl: optional(z.number().int().nonnegative().max(MAX_TTL_SECONDS)),
  idempotencyKey: optional(shortText),
  nonce: optional(z.string().regex(NONCE_TOKEN_RE, 'must be 8-128 printable characters')),
  payload: optional(payloadSchema),
  signature: optional(z.string().max(512)),
  relay: optional(z.looseObject({ from: shortText, via: shortText, originalTo: shortText })),
});

function invalid(message: string, details: Record<string, unknown>): MeshError {
  return new MeshError(MeshErrorCode.InvalidEnvelope, message, { details });
}

/**
 * Checks, without recursion, that `v` is JSON data (no functions, undefined, non-finite numbers)
 * nested at most MAX_JSON_DEPTH deep. Returns the failing path or null.
 */
function jsonShapeProblem(v: unknown): PropertyKey[] | null {
  const stack: { value: unknown; path: PropertyKey[] }[] = [{ value: v, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return path;
      continue;
    }
    if (typeof value !== 'object' || value instanceof Map || path.length >= MAX_JSON_DEPTH) return path;
    if (Array.isArray(value)) value.forEach((x, i) => stack.push({ value: x as unknown, path: [...path, i] }));
    else for (const [k, x] of Object.entries(value)) stack.push({ value: x, path: [...path, k] });
  }
  return null;
}

/** `a.b.0`: keys are shown only when they are plain identifiers, so no untrusted text leaks. */
function showPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((k) => (typeof k === 'number' ? String(k) : typeof k === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(k) ? k : '?'))
    .join('.');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
      return `too ${issue.origin === 'string' || issue.origin === 'array' ? 'long' : 'large'} (max ${String(issue.maximum)})`;
    case 'too_small':
      return `too small (min ${String(issue.minimum)})`;
    case 'invalid_format':
      return 'invalid format';
    case 'invalid_value':
      return 'unsupported value';
    case 'invalid_union':
      return 'matches no accepted shape';
    case 'custom':
      return issue.message;
    default:
      return 'invalid';
  }
}

/**
 * Validates an untrusted plain envelope and returns it with defaults filled in. Throws
 * MeshError(INVALID_ENVELOPE); `details.path` names the field, and `details.unsupportedProtocol`
 * is true when the object is not a MESH envelope we speak (checked first: a foreign protocol's
 * other fields are not ours to judge).
 */
export function parseEnvelope(plain: unknown): Envelope {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain) || plain instanceof Map) {
    throw invalid('envelope is not a JSON object', { path: '(root)' });
  }
  const protocol = (plain as Record<string, unknown>)['protocol'];
  if (!isAcceptedProtocol(protocol)) {
    throw invalid(`unsupported protocol (accepted: ${PROTOCOLS_ACCEPTED.join(', ')})`, {
      path: 'protocol',
      unsupportedProtocol: true,
    });
  }
  if (Object.keys(plain).length > MAX_TOP_LEVEL_KEYS) {
    throw invalid(`envelope has more than ${MAX_TOP_LEVEL_KEYS} keys`, { path: '(root)' });
  }
  const bad = jsonShapeProblem(plain);
  if (bad !== null) {
    const path = showPath(bad.length > 8 ? bad.slice(0, 8) : bad);
    throw invalid(`${path}: not JSON data, or nested deeper than ${MAX_JSON_DEPTH}`, { path });
  }

  const r = envelopeSchema.safeParse(plain);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue ? showPath(issue.path) : '(root)';
    throw invalid(`${path}: ${issue ? describeIssue(issue) : 'invalid'}`, { path });
  }
  const e = r.data;
  const p = e.payload;
  const payload: Payload = {
    subject: p?.subject ?? '',
    body: p?.body ?? '',
    attachments: (p?.attachments ?? []) as Attachment[],
    metadata: p && p.metadata !== undefined ? (p.metadata as JsonValue) : {},
  };
  if (p?.encrypted === true) payload.encrypted = true;

  const envelope: Envelope = {
    protocol: e.protocol,
    id: e.id,
    timestamp: e.timestamp ?? '',
    from: e.from,
    to: e.to,
    type: e.type as MessageType,
    correlationId: e.correlationId ?? null,
    conversationId: e.conversationId ?? null,
    replyTo: e.replyTo ? { url: e.replyTo.url, token: e.replyTo.token ?? '' } : null,
    replyContext: (e.replyContext ?? null) as JsonValue,
    session: (e.session ?? null) as JsonValue,
    priority: e.priority ?? DEFAULT_PRIORITY,
    ttl: e.ttl ?? DEFAULT_TTL_SECONDS,
    idempotencyKey: e.idempotencyKey ?? null,
    nonce: e.nonce ?? null,
    payload,
  };
  if (e.signature != null) envelope.signature = e.signature;
  if (e.relay) envelope.relay = { from: e.relay.from, via: e.relay.via, originalTo: e.relay.originalTo };
  return envelope;
}

/**
 * Validates untrusted attachments that did not come through parseEnvelope: those that travelled
 * inside an encrypted payload (payload-crypto.ts, GCM format 2). Same rules as `payload.attachments`
 * in clear. Throws MeshError(INVALID_ENVELOPE) with `details.path` under `payload.attachments`.
 */
export function parseAttachments(plain: unknown): Attachment[] {
  const bad = jsonShapeProblem(plain);
  if (bad !== null) {
    const path = showPath(['payload', 'attachments', ...(bad.length > 6 ? bad.slice(0, 6) : bad)]);
    throw invalid(`${path}: not JSON data, or nested deeper than ${MAX_JSON_DEPTH}`, { path });
  }
  const r = attachmentsSchema.safeParse(plain);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = showPath(['payload', 'attachments', ...(issue?.path ?? [])]);
    throw invalid(`${path}: ${issue ? describeIssue(issue) : 'invalid'}`, { path });
  }
  return r.data as Attachment[];
}
