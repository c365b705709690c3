/**
 * bash-compatible HMAC-SHA256 envelope signatures (bash-mesh-behavior.md §3, §14 C).
 * Key = the UTF-8 (in practice ASCII) bytes of the key-file text with all whitespace removed, NOT
 * hex-decoded. Message = signingInput(envelope). Output `sha256:` + standard padded base64.
 *
 * verifyEnvelopeHmac never throws on attacker-controlled envelopes or signatures: a missing,
 * malformed or wrong signature, a non-object envelope, or an envelope that cannot be re-serialized
 * all give false. A bad KEY (empty after stripping whitespace) is local misconfiguration and throws
 * MeshError(KEY_INVALID), so it is not mistaken for a forged message.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeBase64Strict } from './base64.ts';
import { keyTextBytes } from './key-text.ts';
import { HMAC_PREFIX, signatureOf, signingInput, type SignableEnvelope } from './signature-format.ts';

const HMAC_BYTES = 32;

function hmacBytes(key: Buffer, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

/** base64(HMAC-SHA256(stripped key text, UTF-8 message)), like `openssl dgst -sha256 -hmac "$key" -binary | base64`. */
export function hmacSignText(keyText: string, message: string): string {
  return hmacBytes(keyTextBytes(keyText, 'signing'), message).toString('base64');
}

/** `sha256:<base64>` over the envelope without its `signature`. */
export function signEnvelopeHmac(envelope: SignableEnvelope, keyText: string): string {
  return HMAC_PREFIX + hmacSignText(keyText, signingInput(envelope));
}

/** Accepts `sha256:<b64>` and bare `<b64>` (bash build_mesh_response). Constant-time comparison. */
export function verifyEnvelopeHmac(envelope: SignableEnvelope, keyText: string): boolean {
  const key = keyTextBytes(keyText, 'signing');
  const raw = signatureOf(envelope);
  if (raw === null) return false;
  const given = decodeBase64Strict(raw.startsWith(HMAC_PREFIX) ? raw.slice(HMAC_PREFIX.length) : raw);
  if (given === null || given.length !== HMAC_BYTES) return false;
  let input: string;
  try {
    input = signingInput(envelope);
  } catch {
    return false;
  }
  return timingSafeEqual(hmacBytes(key, input), given);
}
