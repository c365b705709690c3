/**
 * Shared fixtures for the crypto tests: the §2.1 envelope (423 bytes, the §14 test vector) and a
 * builder for variations. Test-only module (imported by *.test.ts and test/).
 */
import fc from 'fast-check';
import { parseOrdered, serializeJq } from '../protocol/canonical-json.ts';
import type { JsonValue } from '../protocol/json.ts';
import { buildEnvelope, type Envelope, type EnvelopeFields } from '../protocol/envelope.ts';
import { attachSignature } from './signature-format.ts';

export const VECTOR_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

export const VECTOR_ENVELOPE_TEXT =
  '{"protocol":"mesh/1.0","id":"msg_00000000-0000-4000-8000-000000000000","timestamp":"2026-01-01T00:00:00.000Z",' +
  '"from":"alpha","to":"beta","type":"notification","correlationId":null,"conversationId":null,"replyTo":null,' +
  '"replyContext":null,"session":null,"priority":"normal","ttl":300,"idempotencyKey":null,' +
  '"nonce":"0123456789abcdef0123456789abcdef","payload":{"subject":"Hello","body":"Hello","attachments":[],"metadata":{}}}';

export const VECTOR_SIGNATURE = 'sha256:DTFePSxMQddyV+IMejz2LnpvkWtrOvXkC+hVKV9NhIo=';

export function testEnvelope(overrides: Partial<EnvelopeFields> = {}): Envelope {
  return buildEnvelope({
    id: 'msg_00000000-0000-4000-8000-000000000000',
    timestamp: '2026-01-01T00:00:00.000Z',
    from: 'alpha',
    to: 'beta',
    type: 'notification',
    nonce: '0123456789abcdef0123456789abcdef',
    body: 'Hello',
    ...overrides,
  });
}

/**
 * Flips one bit of the wire bytes and runs `verify` on the result. 'unparseable': the damaged bytes
 * are no longer UTF-8 JSON (a receiver rejects them before any signature check). 'equivalent': they
 * parse to the same document (e.g. `1e+16` became `1E+16`, `\u007f` became `\u007F`); signatures
 * cover jq's re-serialization, not the wire spelling, so such a flip is not a change to the message.
 */
export function flipBit(wire: Buffer, at: number, bit: number, verify: (doc: JsonValue) => boolean): boolean | 'unparseable' | 'equivalent' {
  const flipped = Buffer.from(wire);
  flipped[at] = (flipped[at] ?? 0) ^ (1 << bit);
  let doc: JsonValue;
  try {
    doc = parseOrdered(new TextDecoder('utf-8', { fatal: true }).decode(flipped));
  } catch {
    return 'unparseable';
  }
  if (serializeJq(doc) === serializeJq(parseOrdered(wire.toString('utf8')))) {
    if (!verify(doc)) throw new Error('an equivalent document must still verify');
    return 'equivalent';
  }
  return verify(doc);
}

/**
 * Property shared by every signature scheme: sign a generated envelope, flip one bit anywhere in its
 * serialized form, and verification must not succeed (unless the flip left an equivalent document).
 */
export function assertBitFlipsBreakSignature(sign: (env: Envelope) => string, verify: (doc: JsonValue) => boolean, numRuns: number): void {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<never>, { maxKeys: 4 }),
      fc.nat(),
      fc.integer({ min: 0, max: 7 }),
      (body, metadata, at, bit) => {
        const env = testEnvelope({ body, metadata });
        const wire = Buffer.from(serializeJq(attachSignature(env, sign(env)) as never));
        if (flipBit(wire, at % wire.length, bit, verify) === true) throw new Error(`bit ${bit} of byte ${at % wire.length} flipped, still verifies`);
      },
    ),
    { numRuns },
  );
}
