/**
 * How key-file text becomes key bytes. bash MESH strips every whitespace character (`tr -d '[:space:]'`
 * in the C locale: space, \t, \n, \v, \f, \r) and then uses the remaining text itself, not its hex
 * decoding, as HMAC and legacy AES key material. MESH-TS-only schemes (AES-GCM) hex-decode instead.
 * Error messages here never echo key text.
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

const BASH_SPACE_RE = /[ \t\n\v\f\r]/g;
const HEX_KEY_RE = /^[0-9a-fA-F]{64}$/;

/** The key text exactly as bash uses it: all ASCII whitespace removed. */
export function stripKeyWhitespace(text: string): string {
  return text.replace(BASH_SPACE_RE, '');
}

/** UTF-8 bytes of the whitespace-stripped key text; KEY_INVALID when nothing is left. */
export function keyTextBytes(text: string, use: string): Buffer {
  const stripped = stripKeyWhitespace(text);
  if (stripped.length === 0) {
    throw new MeshError(MeshErrorCode.KeyInvalid, `${use} key is empty`, { details: { use } });
  }
  return Buffer.from(stripped, 'utf8');
}

/** True when the stripped text is 64 hex characters (what `openssl rand -hex 32` writes). */
export function isHexKey(text: string): boolean {
  return HEX_KEY_RE.test(stripKeyWhitespace(text));
}

/** The 32 bytes a 64-hex-character key text encodes; KEY_INVALID for any other format. */
export function hexKeyBytes(text: string, use: string): Buffer {
  const stripped = stripKeyWhitespace(text);
  if (!HEX_KEY_RE.test(stripped)) {
    throw new MeshError(MeshErrorCode.KeyInvalid, `${use} key must be 64 hexadecimal characters`, {
      details: { use, length: stripped.length },
    });
  }
  return Buffer.from(stripped, 'hex');
}
