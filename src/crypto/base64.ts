/**
 * Strict base64 for values that come from the wire. Node's decoder silently skips invalid characters
 * and ignores non-zero padding bits, so two different strings can decode to the same bytes; a signature
 * or ciphertext field must have exactly one accepted spelling. Never throws.
 */
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical, padded, single-line standard base64; null for anything else. */
export function decodeBase64Strict(text: unknown): Buffer | null {
  if (typeof text !== 'string' || !B64_RE.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Rejects non-zero padding bits (e.g. "AB==" vs "AA=="), the one ambiguity the pattern allows.
  return bytes.toString('base64') === text ? bytes : null;
}
