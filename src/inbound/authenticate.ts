/**
 * Signature policy per sender (bash-mesh-behavior.md §3.3, §13.1 #5 fixed): the registry says which
 * scheme a peer signs with, and that scheme is REQUIRED. A peer on 'none' may send unsigned messages,
 * but a signature that is present must verify: stripping or garbling a signature never downgrades a
 * message silently. Verification runs on the order-preserving parse, so bash's `jq -c` bytes are
 * reproduced exactly (integer-like keys keep their place).
 *
 * Wire reasons stay generic ("signature does not verify"); the log line says what is wrong locally
 * (a missing key file) so the operator can fix it without telling the sender.
 */
import { verifyEnvelopeEd25519 } from '../crypto/ed25519.ts';
import { verifyEnvelopeHmac } from '../crypto/hmac.ts';
import { signatureKind } from '../crypto/signature-format.ts';
import type { KeyStore } from '../ports/keys.ts';
import type { Logger } from '../ports/logger.ts';
import type { PeerConfig, SigningScheme } from '../ports/peers.ts';
import type { Envelope } from '../protocol/envelope.ts';
import type { JsonValue } from '../protocol/json.ts';
import { WireCode } from '../protocol/wire-codes.ts';
import { reject } from './rejection.ts';
import type { InboundAuth } from './types.ts';

export interface AuthContext {
  keys: KeyStore;
  logger: Logger;
}

const INVALID = 'signature does not verify';

function verifyHmac(ordered: JsonValue, from: string, ctx: AuthContext): InboundAuth {
  const key = ctx.keys.signingKey(from);
  if (key === null) {
    ctx.logger.warn('inbound: no signing key for sender, cannot verify its HMAC signature', { peer: from });
    return reject(WireCode.SignatureInvalid, INVALID);
  }
  let ok: boolean;
  try {
    ok = verifyEnvelopeHmac(ordered, key);
  } catch {
    ctx.logger.warn('inbound: the signing key for sender is unusable (empty?)', { peer: from });
    return reject(WireCode.SignatureInvalid, INVALID);
  }
  return ok ? 'hmac' : reject(WireCode.SignatureInvalid, INVALID);
}

function verifyEd25519(ordered: JsonValue, peer: PeerConfig | null, from: string, ctx: AuthContext): InboundAuth {
  const publicKey = peer?.publicKey ?? null;
  if (publicKey === null) {
    ctx.logger.warn('inbound: no Ed25519 public key for sender, cannot verify its signature', { peer: from });
    return reject(WireCode.SignatureInvalid, INVALID);
  }
  return verifyEnvelopeEd25519(ordered, publicKey) ? 'ed25519' : reject(WireCode.SignatureInvalid, INVALID);
}

/**
 * Applies the sender's signing policy. `peer` is null for an unknown sender admitted by
 * acceptUnknownSenders, which gets policy 'none'. Returns how the message was authenticated.
 */
export function authenticate(ordered: JsonValue, envelope: Envelope, peer: PeerConfig | null, ctx: AuthContext): InboundAuth {
  const scheme: SigningScheme = peer?.signing ?? 'none';
  const from = envelope.from;
  // bash treats "" like an absent signature (`.signature // ""` then -z): so do we.
  const present = envelope.signature !== undefined && envelope.signature !== '';
  const kind = present ? signatureKind(ordered) : 'none';

  switch (scheme) {
    case 'hmac':
      if (!present) return reject(WireCode.SignatureMissing, 'this sender must sign with HMAC-SHA256');
      if (kind !== 'hmac-sha256') return reject(WireCode.SignatureInvalid, 'expected an HMAC-SHA256 signature');
      return verifyHmac(ordered, from, ctx);
    case 'ed25519':
      if (!present) return reject(WireCode.SignatureMissing, 'this sender must sign with Ed25519');
      if (kind !== 'ed25519') return reject(WireCode.SignatureInvalid, 'expected an Ed25519 signature');
      return verifyEd25519(ordered, peer, from, ctx);
    case 'none':
      if (kind === 'none') return 'none';
      if (kind === 'hmac-sha256') return verifyHmac(ordered, from, ctx);
      if (kind === 'ed25519') return verifyEd25519(ordered, peer, from, ctx);
      return reject(WireCode.SignatureInvalid, 'unrecognized signature format');
    default:
      // A registry value this version does not know: refuse rather than guess.
      ctx.logger.warn('inbound: unknown signing scheme configured for sender', { peer: from });
      return reject(WireCode.SignatureInvalid, INVALID);
  }
}
