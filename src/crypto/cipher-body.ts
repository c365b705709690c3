/**
 * What the body ciphers share when they read a ciphertext: the DECRYPT_FAILED error (scheme and
 * reason only; never key or plaintext bytes) and parsing the ciphertext JSON object.
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

export function decryptFailure(scheme: string, reason: string, cause?: unknown): MeshError {
  return new MeshError(MeshErrorCode.DecryptFailed, `cannot decrypt ${scheme} body: ${reason}`, {
    details: { scheme, reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The ciphertext text as a JSON object, or DECRYPT_FAILED. */
export function parseCipherObject(scheme: string, cipherJsonText: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(cipherJsonText);
  } catch {
    throw decryptFailure(scheme, 'ciphertext is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw decryptFailure(scheme, 'ciphertext is not a JSON object');
  return doc as Record<string, unknown>;
}
