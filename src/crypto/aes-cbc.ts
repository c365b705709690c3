/**
 * Legacy AES-256-CBC exactly as bash `mesh-crypt.sh` does it, for bash peers only
 * (bash-mesh-behavior.md §5, §14 D):
 *   - key = the first 32 bytes of the whitespace-stripped key TEXT, zero-padded when shorter (not the
 *     hex decoding: a 64-hex key gives 128 bits of entropy);
 *   - IV = 16 random bytes, carried as 32 lowercase hex; PKCS#7 padding; no salt, no KDF;
 *   - output `{"enc":"aes-256-cbc","iv":"<hex>","data":"<base64>"}`, compact, in that key order.
 *
 * CBC has no MAC. A wrong key or tampered data is detected only when the padding breaks or the
 * plaintext is not valid UTF-8 (both give DECRYPT_FAILED); a modification that keeps both intact goes
 * unnoticed here and is caught only by the envelope signature, which covers the ciphertext
 * ("encrypt, then sign"). Use AES-256-GCM (aes-gcm.ts) between MESH-TS nodes.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { decryptFailure, parseCipherObject } from './cipher-body.ts';
import { keyTextBytes } from './key-text.ts';
import { secureRandom, takeRandom, type RandomBytes } from './random.ts';

export const CBC_SCHEME = 'aes-256-cbc';
const KEY_BYTES = 32;
const BLOCK_BYTES = 16;
const IV_HEX_RE = /^[0-9a-fA-F]{32}$/;
const B64_LOOSE_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** The AES key bash derives: first 32 bytes of the key text, right-padded with zero bytes. */
export function cbcKeyBytes(keyText: string): Buffer {
  const text = keyTextBytes(keyText, CBC_SCHEME);
  const key = Buffer.alloc(KEY_BYTES);
  text.copy(key, 0, 0, Math.min(text.length, KEY_BYTES));
  return key;
}

/** Encrypts `plaintext` (UTF-8). `iv` is for tests and interop checks; by default it is random. */
export function encryptCbc(keyText: string, plaintext: string, iv?: Buffer, random: RandomBytes = secureRandom): string {
  if (iv !== undefined && iv.length !== BLOCK_BYTES) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `IV must be ${BLOCK_BYTES} bytes`);
  }
  const ivBytes = iv ?? takeRandom(random, BLOCK_BYTES);
  const cipher = createCipheriv('aes-256-cbc', cbcKeyBytes(keyText), ivBytes);
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return JSON.stringify({ enc: CBC_SCHEME, iv: ivBytes.toString('hex'), data: data.toString('base64') });
}

const fail = (reason: string, cause?: unknown): MeshError => decryptFailure(CBC_SCHEME, reason, cause);

interface CbcFields {
  iv: Buffer;
  data: Buffer;
}

function parseCbc(cipherJsonText: string): CbcFields {
  const { enc, iv, data } = parseCipherObject(CBC_SCHEME, cipherJsonText);
  // bash reads only .iv and .data; we also insist the scheme, when named, is this one.
  if (enc !== undefined && enc !== CBC_SCHEME) throw fail('wrong scheme');
  if (typeof iv !== 'string' || !IV_HEX_RE.test(iv)) throw fail('iv must be 32 hex characters');
  // bash decodes with `base64 -d`, which tolerates line breaks; anything else must be clean base64.
  const b64 = typeof data === 'string' ? data.replace(/[\r\n]/g, '') : '';
  if (!B64_LOOSE_RE.test(b64) || b64.length % 4 !== 0) throw fail('data must be base64');
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length === 0 || bytes.length % BLOCK_BYTES !== 0) throw fail('data length is not a whole number of blocks');
  return { iv: Buffer.from(iv, 'hex'), data: bytes };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decrypts bash's ciphertext JSON text. Wrong key, bad padding, bad format → MeshError(DECRYPT_FAILED). */
export function decryptCbc(keyText: string, cipherJsonText: string): string {
  const key = cbcKeyBytes(keyText);
  const { iv, data } = parseCbc(cipherJsonText);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    plain = Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (e) {
    throw fail('wrong key or corrupted data', e);
  }
  try {
    return utf8.decode(plain);
  } catch {
    throw fail('wrong key or corrupted data');
  }
}
