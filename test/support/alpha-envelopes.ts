/**
 * Envelopes from alpha to beta, built and signed the way a peer would, for tests that post them to a
 * real `mesh serve` by hand (hostile-input tests): a fresh id, timestamp and nonce each, any field
 * overridable.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { signEnvelopeHmac } from '../../src/crypto/hmac.ts';
import { attachSignature } from '../../src/crypto/signature-format.ts';
import { buildEnvelope, type Envelope, type EnvelopeFields } from '../../src/protocol/envelope.ts';
import { wireTimestamp } from '../../src/protocol/time.ts';

export function alphaEnvelope(over: Partial<EnvelopeFields> = {}): Envelope {
  return buildEnvelope({
    id: `msg_${randomUUID()}`,
    timestamp: wireTimestamp(Date.now()),
    from: 'alpha',
    to: 'beta',
    type: 'notification',
    nonce: randomBytes(16).toString('hex'),
    body: 'hello beta',
    ...over,
  });
}

/** The envelope with an HMAC signature made with `key` (the shared key, or a forger's). */
export function hmacSigned(e: Envelope, key: string): Envelope {
  return attachSignature(e, signEnvelopeHmac(e, key));
}
