/**
 * Ed25519 identities and envelope signatures for MESH-TS peers. The signature covers the same bytes
 * as the bash HMAC (signingInput: `jq -c` of the envelope without `signature`) and is spelled
 * `ed25519:<base64 of the 64-byte signature>`.
 *
 * Key encodings (IdentityKeyPair in ports/keys.ts): the public key is the raw 32 bytes, base64 (what
 * peers put in their registries); the private key is PKCS#8 DER, base64. Raw public keys are imported
 * by prefixing the fixed SPKI header for id-Ed25519 (RFC 8410), and a private key is built from its
 * 32-byte seed the same way, so a seed from an injected random source gives a deterministic identity.
 *
 * verifyEnvelopeEd25519 never throws: a bad envelope, signature or public key gives false. Signing
 * with an unusable private key throws MeshError(KEY_INVALID), never echoing the key.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { IdentityKeyPair } from '../ports/keys.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { decodeBase64Strict } from './base64.ts';
import { secureRandom, takeRandom, type RandomBytes } from './random.ts';
import { ED25519_PREFIX, signatureOf, signingInput, type SignableEnvelope } from './signature-format.ts';

/** DER header of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** DER header of an Ed25519 PKCS#8 PrivateKeyInfo (no public key); the 32-byte seed follows. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

function keyInvalid(what: string): MeshError {
  return new MeshError(MeshErrorCode.KeyInvalid, `invalid Ed25519 ${what}`, { details: { scheme: 'ed25519' } });
}

/** Imports a base64 PKCS#8 DER Ed25519 private key; KEY_INVALID for anything else. */
export function importPrivateKey(privateKeyB64: string): KeyObject {
  const der = decodeBase64Strict(privateKeyB64.trim());
  if (der === null) throw keyInvalid('private key (not base64)');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw keyInvalid('private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw keyInvalid('private key (not Ed25519)');
  return key;
}

/** Imports a base64 raw 32-byte Ed25519 public key; null when it is not one. Never throws. */
export function importPublicKey(publicKeyB64: unknown): KeyObject | null {
  const raw = decodeBase64Strict(typeof publicKeyB64 === 'string' ? publicKeyB64.trim() : null);
  if (raw === null || raw.length !== KEY_BYTES) return null;
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

function rawPublicKey(key: KeyObject): string {
  const spki = key.export({ format: 'der', type: 'spki' });
  return spki.subarray(SPKI_PREFIX.length).toString('base64');
}

/** The raw base64 public key belonging to a base64 PKCS#8 private key. */
export function publicKeyFromPrivate(privateKeyB64: string): string {
  return rawPublicKey(createPublicKey(importPrivateKey(privateKeyB64)));
}

/** True when `publicKeyB64` is a well-formed raw Ed25519 public key. */
export function isEd25519PublicKey(publicKeyB64: unknown): boolean {
  return importPublicKey(publicKeyB64) !== null;
}

/** A new identity from a 32-byte seed drawn from `random` (the CSPRNG by default). */
export function generateIdentity(random: RandomBytes = secureRandom): IdentityKeyPair {
  const seed = takeRandom(random, KEY_BYTES);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return {
    publicKey: rawPublicKey(createPublicKey(privateKey)),
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
  };
}

/** `ed25519:<base64>` over signingInput(envelope). */
export function signEnvelopeEd25519(envelope: SignableEnvelope, privateKeyB64: string): string {
  const key = importPrivateKey(privateKeyB64);
  return ED25519_PREFIX + sign(null, Buffer.from(signingInput(envelope), 'utf8'), key).toString('base64');
}

export function verifyEnvelopeEd25519(envelope: SignableEnvelope, publicKeyB64: string): boolean {
  const raw = signatureOf(envelope);
  if (raw === null || !raw.startsWith(ED25519_PREFIX)) return false;
  const sig = decodeBase64Strict(raw.slice(ED25519_PREFIX.length));
  if (sig === null || sig.length !== SIGNATURE_BYTES) return false;
  const key = importPublicKey(publicKeyB64);
  if (key === null) return false;
  try {
    return verify(null, Buffer.from(signingInput(envelope), 'utf8'), key, sig);
  } catch {
    return false;
  }
}
