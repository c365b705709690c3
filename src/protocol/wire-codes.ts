/**
 * Error codes a MESH receiver puts on the wire, in JSON bodies like
 * `{"ok":false,"code":"signature_invalid","error":"…"}`. Stable: peers and operators match on them.
 * Kept apart from MeshErrorCode, which never crosses the wire.
 */
export const WireCode = {
  Unauthorized: 'unauthorized',
  PayloadTooLarge: 'payload_too_large',
  RateLimited: 'rate_limited',
  MalformedBody: 'malformed_body',
  MalformedEnvelope: 'malformed_envelope',
  UnsupportedProtocol: 'unsupported_protocol',
  WrongRecipient: 'wrong_recipient',
  UnknownSender: 'unknown_sender',
  SignatureMissing: 'signature_missing',
  SignatureInvalid: 'signature_invalid',
  DecryptFailed: 'decrypt_failed',
  Replay: 'replay',
  Expired: 'expired',
  FutureTimestamp: 'future_timestamp',
  Duplicate: 'duplicate',
  NotFound: 'not_found',
  MethodNotAllowed: 'method_not_allowed',
  /**
   * A relayed envelope (addressed to another agent, with a `relay` marker naming this node) that this
   * node will not forward: forwarding is off here, the marker does not match the request, or the
   * recipient is not in this node's registry.
   */
  RelayRefused: 'relay_refused',
  /** The receiver's disk (or database size cap) is full: nothing was stored, retry later. */
  StorageFull: 'storage_full',
  Internal: 'internal_error',
} as const;
export type WireCode = (typeof WireCode)[keyof typeof WireCode];

/** HTTP status each wire code is answered with. `duplicate` is a success (acknowledged, not re-delivered). */
export const wireCodeStatus: Readonly<Record<WireCode, number>> = {
  unauthorized: 401,
  payload_too_large: 413,
  rate_limited: 429,
  malformed_body: 400,
  malformed_envelope: 400,
  unsupported_protocol: 400,
  wrong_recipient: 400,
  unknown_sender: 403,
  signature_missing: 403,
  signature_invalid: 403,
  decrypt_failed: 400,
  replay: 409,
  expired: 410,
  future_timestamp: 400,
  duplicate: 200,
  not_found: 404,
  method_not_allowed: 405,
  relay_refused: 403,
  storage_full: 507,
  internal_error: 500,
};

/** What a peer's wire code may look like when we record it: short, lowercase, nothing else. */
export const PEER_CODE_RE = /^[a-z_]{1,40}$/;
/** Longest answer body we parse for a code (our refusals are a few hundred bytes). */
export const PEER_CODE_MAX_BODY_CHARS = 4096;

/**
 * The wire code of a peer's JSON refusal `{"ok":false,"code":"…",…}`, or null. The peer is not
 * trusted: only a bounded body is parsed, and only a code matching PEER_CODE_RE is returned, so no
 * arbitrary peer text reaches dead letters, audit lines or terminal output. Codes we do not know are
 * returned too (a newer peer may have more); callers show them, never branch on unknown ones.
 */
export function peerCodeOf(bodyText: string): string | null {
  if (bodyText.length === 0 || bodyText.length > PEER_CODE_MAX_BODY_CHARS) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const { ok, code } = parsed as { ok?: unknown; code?: unknown };
  return ok === false && typeof code === 'string' && PEER_CODE_RE.test(code) ? code : null;
}
