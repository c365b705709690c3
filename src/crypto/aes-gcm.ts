/**
 * AES-256-GCM for bodies exchanged between MESH-TS nodes.
 *
 * The key file holds 64 hex characters (32 bytes of key material). Each message gets its own AES key,
 * HKDF-SHA256(material, salt = 16 random bytes, info = GCM_HKDF_INFO), so a key file can encrypt any
 * number of messages without approaching GCM's random-nonce limits. The 12-byte IV is random too; the
 * 16-byte tag authenticates the ciphertext and the caller's AAD, which binds the body to its envelope
 * (`envelopeAad` in payload-crypto.ts). Output, compact and in this key order:
 *   format 1: {"enc":"aes-256-gcm","salt":"<b64>","iv":"<b64>","data":"<b64>","tag":"<b64>"}
 *   format 2: {"enc":"aes-256-gcm","v":2,"salt":"<b64>","iv":"<b64>","data":"<b64>","tag":"<b64>"}
 * The format says what the plaintext is (payload-crypto.ts: 1 = the body text, 2 = a sealed payload
 * document); the cipher itself is the same. Callers bind the format into their AAD, so changing `v`
 * fails authentication like any other change.
 * Any change to data, tag, iv, salt, AAD or key gives MeshError(DECRYPT_FAILED); nothing is released
 * before the tag has been checked.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import type { MeshError } from '../protocol/errors.ts';
import { decodeBase64Strict } from './base64.ts';
import { decryptFailure, parseCipherObject } from './cipher-body.ts';
import { hexKeyBytes } from './key-text.ts';
import { secureRandom, takeRandom, type RandomBytes } from './random.ts';

export const GCM_SCHEME = 'aes-256-gcm';
/** HKDF context string; changing it is a wire-format change. */
export const GCM_HKDF_INFO = 'mesh-ts aes-256-gcm body key v1';
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const FIELDS_V1 = ['enc', 'salt', 'iv', 'data', 'tag'];
const FIELDS_V2 = ['enc', 'v', 'salt', 'iv', 'data', 'tag'];

/** 1: no `v` field (every MESH-TS version reads it); 2: `"v":2` after `enc`. */
export type GcmFormat = 1 | 2;
export const GCM_FORMATS: readonly GcmFormat[] = [1, 2];

export interface GcmOptions {
  /** Source of the salt and IV; defaults to the CSPRNG. */
  random?: RandomBytes;
  /** Format marker written into the output (default 1). */
  format?: GcmFormat;
}

function messageKey(material: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', material, salt, GCM_HKDF_INFO, KEY_BYTES));
}

export function encryptGcm(keyText: string, plaintext: string, aad: string, options: GcmOptions = {}): string {
  const material = hexKeyBytes(keyText, GCM_SCHEME);
  const random = options.random ?? secureRandom;
  const salt = takeRandom(random, SALT_BYTES);
  const iv = takeRandom(random, IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', messageKey(material, salt), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return JSON.stringify({
    enc: GCM_SCHEME,
    ...(options.format === 2 ? { v: 2 } : {}),
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    data: data.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  });
}

const fail = (reason: string): MeshError => decryptFailure(GCM_SCHEME, reason);

function field(doc: Record<string, unknown>, name: string, bytes: number | null): Buffer {
  const value = decodeBase64Strict(doc[name]);
  if (value === null || (bytes !== null && value.length !== bytes)) {
    throw fail(bytes === null ? `${name} must be base64` : `${name} must be ${bytes} bytes of base64`);
  }
  return value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The format a GCM ciphertext object declares: exactly the format-1 fields, or the format-2 fields
 * with `"v":2`. Anything else is DECRYPT_FAILED: each format has one spelling, so a changed byte
 * cannot go unnoticed.
 */
export function gcmFormatOf(cipherJsonText: string): GcmFormat {
  const obj = parseCipherObject(GCM_SCHEME, cipherJsonText);
  return formatOf(obj);
}

function formatOf(obj: Record<string, unknown>): GcmFormat {
  if (obj.enc !== GCM_SCHEME) throw fail('wrong scheme');
  const keys = Object.keys(obj);
  const exactly = (fields: string[]): boolean => keys.length === fields.length && fields.every((k) => Object.hasOwn(obj, k));
  if (exactly(FIELDS_V1)) return 1;
  if (exactly(FIELDS_V2) && obj.v === 2) return 2;
  throw fail('unexpected fields');
}

/** The plaintext. The caller's AAD must be the one for the format the object declares (gcmFormatOf). */
export function decryptGcm(keyText: string, cipherJsonText: string, aad: string): string {
  const material = hexKeyBytes(keyText, GCM_SCHEME);
  const obj = parseCipherObject(GCM_SCHEME, cipherJsonText);
  formatOf(obj);
  const salt = field(obj, 'salt', SALT_BYTES);
  const iv = field(obj, 'iv', IV_BYTES);
  const data = field(obj, 'data', null);
  const tag = field(obj, 'tag', TAG_BYTES);
  const key = messageKey(material, salt);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw fail('authentication failed (wrong key, wrong envelope or tampered data)');
  }
  try {
    return utf8.decode(plain);
  } catch {
    throw fail('plaintext is not UTF-8');
  }
}
