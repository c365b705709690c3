/**
 * What an envelope signature covers and how it is spelled (bash-mesh-behavior.md §3.2, §14 C).
 * The signed bytes are the UTF-8 of `jq -c` applied to the envelope with its top-level `signature`
 * and `relay` keys removed. `relay` is the routing marker a sender adds AFTER signing when it sends
 * through a relay (bash-mesh-behavior.md §4.7: `{"from","via","originalTo"}` appended after
 * `signature`), so the final recipient verifies the original sender's signature over exactly what
 * the sender signed. The marker itself is therefore not authenticated: it is routing information
 * only, and no decision that matters for security is taken from it (the relay checks the path, the
 * bearer token and its registry; the recipient ignores it). Every other key is covered.
 * Envelopes may be plain objects or Maps from parseOrdered: wire-received envelopes must stay Maps,
 * or integer-like keys get reordered and bash signatures stop matching.
 *
 * Spellings: `sha256:<b64>` (HMAC, what mesh-send emits), bare `<b64>` (HMAC, build_mesh_response),
 * `ed25519:<b64>` (MESH-TS identities).
 */
import { serializeJq } from '../protocol/canonical-json.ts';
import type { Envelope } from '../protocol/envelope.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { getField, isJsonObject, type JsonValue } from '../protocol/json.ts';

export const HMAC_PREFIX = 'sha256:';
export const ED25519_PREFIX = 'ed25519:';

export type SignableEnvelope = JsonValue | Envelope;
export type SignatureKind = 'hmac-sha256' | 'ed25519' | 'none' | 'malformed';

const asJson = (envelope: SignableEnvelope): JsonValue => envelope as unknown as JsonValue;

/** The envelope without its top-level `signature`, same representation and key order. */
export function withoutSignature(envelope: SignableEnvelope): JsonValue {
  const v = asJson(envelope);
  if (v instanceof Map) {
    const copy = new Map(v);
    copy.delete('signature');
    return copy;
  }
  if (isJsonObject(v)) {
    const { signature: _dropped, ...rest } = v;
    return rest;
  }
  throw new MeshError(MeshErrorCode.InvalidEnvelope, 'an envelope must be a JSON object');
}

/** The top-level key a relayed envelope carries beside (after) its signature; never signed. */
export const RELAY_MARKER_KEY = 'relay';

/** The exact text a signature covers: `jq -c` of the envelope without `signature` and `relay`, no newline. */
export function signingInput(envelope: SignableEnvelope): string {
  const rest = withoutSignature(envelope);
  if (rest instanceof Map) rest.delete(RELAY_MARKER_KEY);
  else if (isJsonObject(rest)) delete (rest as Record<string, JsonValue>)[RELAY_MARKER_KEY];
  return serializeJq(rest);
}

/** A copy with `signature` set as the last top-level key (replacing any earlier one), as bash appends it. */
export function attachSignature<T extends SignableEnvelope>(envelope: T, signature: string): T {
  const rest = withoutSignature(envelope);
  if (rest instanceof Map) {
    rest.set('signature', signature);
    return rest as T;
  }
  return { ...(rest as object), signature } as T;
}

/** The `signature` value if it is a string, else null. */
export function signatureOf(envelope: SignableEnvelope): string | null {
  const s = getField(asJson(envelope), 'signature');
  return typeof s === 'string' ? s : null;
}

/** Which verifier applies, judged only from the spelling. Never throws. */
export function signatureKind(envelope: SignableEnvelope): SignatureKind {
  const v = asJson(envelope);
  if (!(v instanceof Map) && !isJsonObject(v)) return 'malformed';
  const raw = getField(v, 'signature');
  if (raw === undefined || raw === null) return 'none';
  if (typeof raw !== 'string') return 'malformed';
  if (raw.startsWith(ED25519_PREFIX)) return 'ed25519';
  if (raw.startsWith(HMAC_PREFIX) || !raw.includes(':')) return 'hmac-sha256';
  return 'malformed';
}
