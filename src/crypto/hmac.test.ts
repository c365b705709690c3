import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { parseOrdered, serializeJq } from '../protocol/canonical-json.ts';
import { isMeshError } from '../protocol/errors.ts';
import { hmacSignText, signEnvelopeHmac, verifyEnvelopeHmac } from './hmac.ts';
import { appendRelayMarker } from '../protocol/relay-marker.ts';
import { attachSignature, signingInput } from './signature-format.ts';
import { assertBitFlipsBreakSignature, flipBit, VECTOR_ENVELOPE_TEXT, VECTOR_KEY, VECTOR_SIGNATURE, testEnvelope } from './test-envelopes.ts';

const OTHER_KEY = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';

describe('HMAC-SHA256 (bash-compatible)', () => {
  test('golden vector §14: the 423-byte §2.1 envelope', () => {
    assert.equal(Buffer.byteLength(VECTOR_ENVELOPE_TEXT), 423);
    assert.equal(signEnvelopeHmac(parseOrdered(VECTOR_ENVELOPE_TEXT), VECTOR_KEY), VECTOR_SIGNATURE);
    // The envelope built by buildEnvelope is the same document, so it signs the same.
    assert.equal(serializeJq(testEnvelope() as never), VECTOR_ENVELOPE_TEXT);
    assert.equal(signEnvelopeHmac(testEnvelope(), VECTOR_KEY), VECTOR_SIGNATURE);
  });

  test('the key is the ASCII text (not hex-decoded), whitespace stripped', () => {
    const expected = createHmac('sha256', Buffer.from(VECTOR_KEY, 'ascii')).update('msg').digest('base64');
    assert.equal(hmacSignText(VECTOR_KEY, 'msg'), expected);
    assert.equal(hmacSignText(` ${VECTOR_KEY.slice(0, 10)}\n${VECTOR_KEY.slice(10)}\r\n\t`, 'msg'), expected);
    assert.notEqual(hmacSignText(VECTOR_KEY, 'msg'), createHmac('sha256', Buffer.from(VECTOR_KEY, 'hex')).update('msg').digest('base64'));
  });

  test('a signed wire envelope verifies, with prefix or as bare base64', () => {
    const signed = parseOrdered(VECTOR_ENVELOPE_TEXT.slice(0, -1) + `,"signature":"${VECTOR_SIGNATURE}"}`);
    assert.equal(verifyEnvelopeHmac(signed, VECTOR_KEY), true);
    const bare = parseOrdered(VECTOR_ENVELOPE_TEXT.slice(0, -1) + `,"signature":"${VECTOR_SIGNATURE.slice(7)}"}`);
    assert.equal(verifyEnvelopeHmac(bare, VECTOR_KEY), true);
    assert.equal(verifyEnvelopeHmac(signed, OTHER_KEY), false);
  });

  test('the signature key is excluded wherever it sits (bash deletes it before re-serializing)', () => {
    const text = VECTOR_ENVELOPE_TEXT.replace('{"protocol"', `{"signature":"${VECTOR_SIGNATURE}","protocol"`);
    assert.equal(verifyEnvelopeHmac(parseOrdered(text), VECTOR_KEY), true);
  });

  test('Maps keep integer-like key order; plain objects reorder them and sign different bytes', () => {
    const text =
      '{"protocol":"mesh/1.0","id":"m","payload":{"metadata":{"b":1,"2":2,"10":3,"a":[1.5,1e16]}}}';
    const ordered = parseOrdered(text);
    assert.equal(signingInput(ordered), '{"protocol":"mesh/1.0","id":"m","payload":{"metadata":{"b":1,"2":2,"10":3,"a":[1.5,1e+16]}}}');
    const sig = signEnvelopeHmac(ordered, VECTOR_KEY);
    assert.equal(sig, `sha256:${hmacSignText(VECTOR_KEY, signingInput(ordered))}`);
    assert.notEqual(signEnvelopeHmac(JSON.parse(text) as never, VECTOR_KEY), sig);
  });

  test('attachSignature appends the signature last and verify accepts the result', () => {
    const env = testEnvelope({ body: 'héllo ✓ \u007f' });
    const signed = attachSignature(env, signEnvelopeHmac(env, VECTOR_KEY));
    assert.equal(Object.keys(signed).at(-1), 'signature');
    assert.equal(verifyEnvelopeHmac(signed, VECTOR_KEY), true);
    const wire = parseOrdered(serializeJq(signed as never));
    assert.equal(verifyEnvelopeHmac(wire, VECTOR_KEY), true);
    // Re-signing replaces the old signature instead of covering it.
    assert.equal(signEnvelopeHmac(signed, VECTOR_KEY), signed.signature);
  });

  test('missing or malformed signatures give false, never throw', () => {
    const env = testEnvelope();
    const good = signEnvelopeHmac(env, VECTOR_KEY);
    const b64 = good.slice(7);
    const badSignatures: unknown[] = [
      undefined, null, 42, '', 'sha256:', 'sha256:!!!', `ed25519:${b64}`, `sha1:${b64}`, `sha256:${b64.slice(0, -1)}`,
      `sha256:${b64.slice(0, -2)}A=`, `sha256:${b64} `, `sha256:${b64}AAAA`, `SHA256:${b64}`, `sha256:sha256:${b64}`,
      Buffer.alloc(32).toString('base64'),
    ];
    for (const s of badSignatures) {
      const candidate = s === undefined ? env : { ...env, signature: s };
      assert.equal(verifyEnvelopeHmac(candidate as never, VECTOR_KEY), false, String(s));
    }
    for (const notAnEnvelope of [null, 1, 'x', [], [good]]) {
      assert.equal(verifyEnvelopeHmac(notAnEnvelope as never, VECTOR_KEY), false);
    }
    // Re-serialization failures of attacker-shaped input (undefined member) are also just false.
    assert.equal(verifyEnvelopeHmac({ ...env, extra: undefined, signature: good } as never, VECTOR_KEY), false);
  });

  test('an empty key is misconfiguration: KEY_INVALID, on both sides', () => {
    const isKeyInvalid = (e: unknown): boolean => isMeshError(e) && e.code === 'KEY_INVALID';
    assert.throws(() => signEnvelopeHmac(testEnvelope(), ' \n'), isKeyInvalid);
    assert.throws(() => verifyEnvelopeHmac(testEnvelope(), ''), isKeyInvalid);
    assert.throws(() => signEnvelopeHmac('not an object' as never, VECTOR_KEY), (e) => isMeshError(e) && e.code === 'INVALID_ENVELOPE');
  });

  test('property: sign/verify round trip over generated envelopes, via the wire text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<never>),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        (body, metadata, key) => {
          const env = testEnvelope({ body, metadata });
          const wire = serializeJq(attachSignature(env, signEnvelopeHmac(env, key)) as never);
          assert.equal(verifyEnvelopeHmac(parseOrdered(wire), key), true);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('property: any bit flip in a serialized signed envelope breaks verification', () => {
    assertBitFlipsBreakSignature((env) => signEnvelopeHmac(env, VECTOR_KEY), (doc) => verifyEnvelopeHmac(doc, VECTOR_KEY), 1000);
  });

  test('exhaustive: every single-bit flip of the signed §2.1 envelope is rejected', () => {
    const env = parseOrdered(VECTOR_ENVELOPE_TEXT.slice(0, -1) + `,"signature":"${VECTOR_SIGNATURE}"}`);
    const wire = Buffer.from(serializeJq(env));
    let parsedButRejected = 0;
    for (let at = 0; at < wire.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const result = flipBit(wire, at, bit, (doc) => verifyEnvelopeHmac(doc, VECTOR_KEY));
        assert.notEqual(result, true, `byte ${at} bit ${bit}`);
        if (result === false) parsedButRejected++;
        assert.notEqual(result, 'equivalent', 'the §2.1 envelope has no alternative spellings');
      }
    }
    assert.ok(parsedButRejected > 1000, 'many flips must survive parsing and reach the signature check');
  });
});

describe('relayed envelopes (bash-mesh-behavior.md §4.7: marker appended after signing)', () => {
  const signedText = VECTOR_ENVELOPE_TEXT.slice(0, -1) + `,"signature":"${VECTOR_SIGNATURE}"}`;
  const relayed = appendRelayMarker(signedText, { from: 'alpha', via: 'gamma', originalTo: 'beta' });

  test('a bash relayed envelope verifies: the relay marker is not covered by the signature', () => {
    assert.equal(relayed, `${signedText.slice(0, -1)},"relay":{"from":"alpha","via":"gamma","originalTo":"beta"}}`);
    assert.equal(verifyEnvelopeHmac(parseOrdered(relayed), VECTOR_KEY), true);
    assert.equal(signingInput(parseOrdered(relayed)), VECTOR_ENVELOPE_TEXT);
  });

  test('the marker is excluded wherever it sits, in Maps and plain objects alike', () => {
    const first = signedText.replace('{"protocol"', '{"relay":{"from":"x","via":"y","originalTo":"z"},"protocol"');
    assert.equal(verifyEnvelopeHmac(parseOrdered(first), VECTOR_KEY), true);
    const plain = { ...(JSON.parse(relayed) as Record<string, unknown>) };
    assert.equal(signingInput(plain as never), VECTOR_ENVELOPE_TEXT);
  });

  test('a relay that changes one byte of the body is caught', () => {
    const tampered = relayed.replace('"body":"Hello"', '"body":"Hellp"');
    assert.notEqual(tampered, relayed);
    assert.equal(verifyEnvelopeHmac(parseOrdered(tampered), VECTOR_KEY), false);
  });

  test('only the top-level marker is left out: a nested relay key is signed', () => {
    const nested = signedText.replace('"metadata":{}', '"metadata":{"relay":1}');
    assert.equal(verifyEnvelopeHmac(parseOrdered(nested), VECTOR_KEY), false);
  });
});
