/**
 * Encrypting an envelope's `payload.body` (bash-mesh-behavior.md §5, §14 D).
 *
 * Order: encrypt first, then sign. The signature then covers the ciphertext and the `encrypted`
 * flag, which is what makes legacy CBC (no MAC) tamper-evident at all; encryptEnvelopeBody refuses
 * an envelope that is already signed, since its signature would no longer match.
 *
 * Like bash, only `body` is encrypted; `payload.encrypted: true` is appended after `metadata`.
 * Attachments, metadata, replyContext, session and replyTo stay in clear. One deliberate difference
 * from bash, visible to bash peers: when the subject is the default one (the first 80 bytes of the
 * body), it would leak the plaintext, so it is replaced by ENCRYPTED_SUBJECT.
 *
 * AES-GCM bodies are bound to their envelope by the AAD `mesh/1.0|<id>|<from>|<to>`: a ciphertext
 * copied into another message, or redirected to another peer, fails to decrypt.
 */
import { SUBJECT_MAX_BYTES, truncateUtf8, type Envelope } from '../protocol/envelope.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { CBC_SCHEME, decryptCbc, encryptCbc } from './aes-cbc.ts';
import { GCM_SCHEME, decryptGcm, encryptGcm } from './aes-gcm.ts';
import type { RandomBytes } from './random.ts';

export type BodyScheme = typeof CBC_SCHEME | typeof GCM_SCHEME;
export const BODY_SCHEMES: readonly BodyScheme[] = [CBC_SCHEME, GCM_SCHEME];
export const ENCRYPTED_SUBJECT = '[encrypted]';
/** Version tag of the AAD layout; fixed, independent of the envelope's protocol string. */
const AAD_VERSION = 'mesh/1.0';

export interface EncryptBodyOptions {
  /** Source of IVs and salts (tests); defaults to the CSPRNG. */
  random?: RandomBytes;
}

/** `mesh/1.0|<id>|<from>|<to>`. Names cannot contain '|', so the layout is unambiguous. */
export function envelopeAad(envelope: Pick<Envelope, 'id' | 'from' | 'to'>): string {
  const { id, from, to } = envelope;
  if (typeof id !== 'string' || typeof from !== 'string' || typeof to !== 'string' || from.includes('|') || to.includes('|')) {
    throw new MeshError(MeshErrorCode.InvalidEnvelope, 'envelope id, from and to must be strings without "|"');
  }
  return `${AAD_VERSION}|${id}|${from}|${to}`;
}

/** A copy of `envelope` with its body encrypted under `scheme`. */
export function encryptEnvelopeBody(
  envelope: Envelope,
  scheme: BodyScheme,
  keyText: string,
  options: EncryptBodyOptions = {},
): Envelope {
  if (envelope.signature !== undefined) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'encrypt before signing: this envelope is already signed');
  }
  if (envelope.payload.encrypted === true) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'the envelope body is already encrypted');
  }
  const { body, subject } = envelope.payload;
  let cipherText: string;
  if (scheme === CBC_SCHEME) cipherText = encryptCbc(keyText, body, undefined, options.random);
  else if (scheme === GCM_SCHEME) cipherText = encryptGcm(keyText, body, envelopeAad(envelope), options);
  else throw new MeshError(MeshErrorCode.InvalidArgument, `unknown encryption scheme ${JSON.stringify(String(scheme))}`);
  const leaksBody = body !== '' && subject === truncateUtf8(body, SUBJECT_MAX_BYTES);
  return {
    ...envelope,
    payload: { ...envelope.payload, subject: leaksBody ? ENCRYPTED_SUBJECT : subject, body: cipherText, encrypted: true },
  };
}

/** The scheme named by an encrypted body's `enc` field, or null when it names none we know. Never throws. */
export function bodyScheme(cipherJsonText: string): BodyScheme | null {
  try {
    const doc: unknown = JSON.parse(cipherJsonText);
    const enc = typeof doc === 'object' && doc !== null ? (doc as { enc?: unknown }).enc : undefined;
    return BODY_SCHEMES.find((s) => s === enc) ?? null;
  } catch {
    return null;
  }
}

/**
 * The plaintext body. The scheme comes from the body's `enc` field: callers that require a scheme
 * for a peer (GCM between MESH-TS nodes) must check bodyScheme() first, so CBC cannot be slipped in.
 */
export function decryptEnvelopeBody(envelope: Envelope, keyText: string): string {
  if (envelope.payload.encrypted !== true) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'the envelope body is not marked encrypted');
  }
  const cipherText = envelope.payload.body;
  const scheme = typeof cipherText === 'string' ? bodyScheme(cipherText) : null;
  if (scheme === CBC_SCHEME) return decryptCbc(keyText, cipherText);
  if (scheme === GCM_SCHEME) return decryptGcm(keyText, cipherText, envelopeAad(envelope));
  throw new MeshError(MeshErrorCode.DecryptFailed, 'encrypted body names no known scheme', { details: { reason: 'unknown scheme' } });
}

/** A copy with the plaintext body and without the `encrypted` flag (for handing to the local agent). */
export function decryptEnvelope(envelope: Envelope, keyText: string): Envelope {
  const body = decryptEnvelopeBody(envelope, keyText);
  const { encrypted: _flag, ...payload } = envelope.payload;
  return { ...envelope, payload: { ...payload, body } };
}
