/**
 * Encrypting an envelope's payload (bash-mesh-behavior.md §5, §14 D; the user's view of what is and
 * is not encrypted is docs/encryption.md).
 *
 * Order: encrypt first, then sign. The signature then covers the ciphertext and the `encrypted`
 * flag, which is what makes legacy CBC (no MAC) tamper-evident at all; encryptEnvelopePayload refuses
 * an envelope that is already signed, since its signature would no longer match.
 *
 * What goes inside the ciphertext depends on the scheme:
 *  - aes-256-cbc (bash peers): the body only, as bash does; bash can decrypt nothing else. Attachments
 *    would therefore travel in clear, so CBC with attachments is refused unless the caller allows it
 *    explicitly (`clearAttachments`).
 *  - aes-256-gcm (MESH-TS peers): the body and the attachments. Without attachments the plaintext is
 *    the body text (format 1, which every MESH-TS version reads). With attachments it is the sealed
 *    payload document (format 2), compact JSON with exactly these keys:
 *      {"body":"<text>","attachments":[<attachment>, …]}
 *    and the wire envelope's `payload.attachments` is []. Format 2 marks its ciphertext object with
 *    "v":2 (aes-gcm.ts) and uses the AAD tag `mesh-sealed/2`, so a format cannot be swapped unnoticed.
 * `payload.body` holds the ciphertext object's text and `payload.encrypted: true` is appended after
 * `metadata`, as bash does. Metadata, replyContext, session, replyTo, ids, type, priority, ttl and
 * timestamps stay in clear. One deliberate difference from bash, visible to bash peers: when the
 * subject is the default one (the first 80 bytes of the body), it would leak the plaintext, so it is
 * replaced by ENCRYPTED_SUBJECT; an explicit subject stays as given (in clear).
 *
 * AES-GCM payloads are bound to their envelope by the AAD `<tag>|<id>|<from>|<to>`: a ciphertext
 * copied into another message, or redirected to another peer, fails to decrypt.
 */
import { SUBJECT_MAX_BYTES, truncateUtf8, type Attachment, type Envelope } from '../protocol/envelope.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { CBC_SCHEME, decryptCbc, encryptCbc } from './aes-cbc.ts';
import { GCM_SCHEME, decryptGcm, encryptGcm, gcmFormatOf, type GcmFormat } from './aes-gcm.ts';
import { decryptFailure } from './cipher-body.ts';
import type { RandomBytes } from './random.ts';

export type BodyScheme = typeof CBC_SCHEME | typeof GCM_SCHEME;
export const BODY_SCHEMES: readonly BodyScheme[] = [CBC_SCHEME, GCM_SCHEME];
export const ENCRYPTED_SUBJECT = '[encrypted]';
/** Version tags of the AAD layout per GCM format; fixed, independent of the envelope's protocol string. */
const AAD_TAGS: Readonly<Record<GcmFormat, string>> = { 1: 'mesh/1.0', 2: 'mesh-sealed/2' };
const SEALED_KEYS = ['body', 'attachments'];

export interface EncryptBodyOptions {
  /** Source of IVs and salts (tests); defaults to the CSPRNG. */
  random?: RandomBytes;
  /**
   * aes-256-cbc only: let attachments travel in clear beside the encrypted body. Without it, CBC with
   * attachments is refused (INVALID_ARGUMENT). aes-256-gcm always encrypts them.
   */
  clearAttachments?: boolean;
}

/** Whether `scheme` carries attachments inside the ciphertext. */
export function sealsAttachments(scheme: BodyScheme): boolean {
  return scheme === GCM_SCHEME;
}

/** `<tag>|<id>|<from>|<to>`. Names cannot contain '|', so the layout is unambiguous. */
export function envelopeAad(envelope: Pick<Envelope, 'id' | 'from' | 'to'>, format: GcmFormat = 1): string {
  const { id, from, to } = envelope;
  if (typeof id !== 'string' || typeof from !== 'string' || typeof to !== 'string' || from.includes('|') || to.includes('|')) {
    throw new MeshError(MeshErrorCode.InvalidEnvelope, 'envelope id, from and to must be strings without "|"');
  }
  return `${AAD_TAGS[format]}|${id}|${from}|${to}`;
}

/** A copy of `envelope` with its payload encrypted under `scheme` (see the header for what that covers). */
export function encryptEnvelopePayload(
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
  const { body, subject, attachments } = envelope.payload;
  let cipherText: string;
  let wireAttachments = attachments;
  if (scheme === CBC_SCHEME) {
    if (attachments.length > 0 && options.clearAttachments !== true) {
      throw new MeshError(
        MeshErrorCode.InvalidArgument,
        `${CBC_SCHEME} encrypts the body only: its ${attachments.length} attachment(s) would travel in clear`,
        { details: { scheme, attachments: attachments.length } },
      );
    }
    cipherText = encryptCbc(keyText, body, undefined, options.random);
  } else if (scheme === GCM_SCHEME) {
    if (attachments.length === 0) {
      cipherText = encryptGcm(keyText, body, envelopeAad(envelope, 1), { random: options.random, format: 1 });
    } else {
      const sealed = JSON.stringify({ body, attachments });
      cipherText = encryptGcm(keyText, sealed, envelopeAad(envelope, 2), { random: options.random, format: 2 });
      wireAttachments = [];
    }
  } else {
    throw new MeshError(MeshErrorCode.InvalidArgument, `unknown encryption scheme ${JSON.stringify(String(scheme))}`);
  }
  const leaksBody = body !== '' && subject === truncateUtf8(body, SUBJECT_MAX_BYTES);
  return {
    ...envelope,
    payload: {
      ...envelope.payload,
      subject: leaksBody ? ENCRYPTED_SUBJECT : subject,
      body: cipherText,
      attachments: wireAttachments,
      encrypted: true,
    },
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

export interface OpenedPayload {
  body: string;
  /**
   * The attachments that travelled inside the ciphertext (GCM format 2), decoded but NOT validated:
   * the caller checks them like clear attachments. null when only the body was encrypted.
   */
  sealedAttachments: unknown[] | null;
}

function openSealed(plain: string): OpenedPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(plain);
  } catch {
    throw decryptFailure(GCM_SCHEME, 'sealed payload is not JSON');
  }
  const d = doc as { body?: unknown; attachments?: unknown };
  const keys = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? Object.keys(doc) : [];
  if (keys.length !== SEALED_KEYS.length || !SEALED_KEYS.every((k) => keys.includes(k)) ||
      typeof d.body !== 'string' || !Array.isArray(d.attachments)) {
    throw decryptFailure(GCM_SCHEME, 'sealed payload must be {"body": string, "attachments": array}');
  }
  return { body: d.body, sealedAttachments: d.attachments as unknown[] };
}

/**
 * The plaintext payload. The scheme comes from the body's `enc` field: callers that require a scheme
 * for a peer (GCM between MESH-TS nodes) must check bodyScheme() first, so CBC cannot be slipped in.
 */
export function decryptEnvelopePayload(envelope: Envelope, keyText: string): OpenedPayload {
  if (envelope.payload.encrypted !== true) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'the envelope body is not marked encrypted');
  }
  const cipherText = envelope.payload.body;
  const scheme = typeof cipherText === 'string' ? bodyScheme(cipherText) : null;
  if (scheme === CBC_SCHEME) return { body: decryptCbc(keyText, cipherText), sealedAttachments: null };
  if (scheme === GCM_SCHEME) {
    const format = gcmFormatOf(cipherText);
    const plain = decryptGcm(keyText, cipherText, envelopeAad(envelope, format));
    return format === 1 ? { body: plain, sealedAttachments: null } : openSealed(plain);
  }
  throw new MeshError(MeshErrorCode.DecryptFailed, 'encrypted body names no known scheme', { details: { reason: 'unknown scheme' } });
}

/**
 * A copy as if it had travelled in clear: plaintext body, sealed attachments back in place, no
 * `encrypted` flag. The sealed attachments are taken as they decrypted (no schema check here).
 */
export function decryptEnvelope(envelope: Envelope, keyText: string): Envelope {
  const opened = decryptEnvelopePayload(envelope, keyText);
  const { encrypted: _flag, ...payload } = envelope.payload;
  const attachments = opened.sealedAttachments === null ? payload.attachments : (opened.sealedAttachments as Attachment[]);
  return { ...envelope, payload: { ...payload, body: opened.body, attachments } };
}
