/**
 * The random source for keys, IVs and salts. Production uses node:crypto's CSPRNG; tests inject a
 * deterministic source to pin golden outputs. Never inject a non-cryptographic source in production.
 */
import { randomBytes } from 'node:crypto';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

export type RandomBytes = (size: number) => Buffer;

export const secureRandom: RandomBytes = (size) => randomBytes(size);

/** Calls `random` and checks it kept its contract (a short buffer would silently weaken a key or IV). */
export function takeRandom(random: RandomBytes, size: number): Buffer {
  const out = random(size);
  if (!Buffer.isBuffer(out) || out.length !== size) {
    throw new MeshError(MeshErrorCode.Internal, `random source returned the wrong number of bytes (expected ${size})`);
  }
  return out;
}
