import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { parseOrdered, serializeJq } from '../protocol/canonical-json.ts';
import { isMeshError } from '../protocol/errors.ts';
import {
  generateIdentity, importPrivateKey, importPublicKey, isEd25519PublicKey, publicKeyFromPrivate,
  signEnvelopeEd25519, verifyEnvelopeEd25519,
} from './ed25519.ts';
import { appendRelayMarker } from '../protocol/relay-marker.ts';
import { attachSignature } from './signature-format.ts';
import { assertBitFlipsBreakSignature, testEnvelope, VECTOR_ENVELOPE_TEXT } from './test-envelopes.ts';

// RFC 8032 §7.1, TEST 1.
const RFC_SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
const RFC_PUBLIC = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
const RFC_SIG_EMPTY =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

const ME = generateIdentity();
const OTHER = generateIdentity();

describe('Ed25519 identities and signatures', () => {
  test('a seed gives the RFC 8032 key pair and signature (raw/PKCS#8 encodings are right)', () => {
    const id = generateIdentity(() => Buffer.from(RFC_SEED));
    assert.equal(id.publicKey, RFC_PUBLIC.toString('base64'));
    assert.equal(Buffer.from(id.privateKey, 'base64').subarray(-32).toString('hex'), RFC_SEED.toString('hex'));
    assert.equal(sign(null, Buffer.alloc(0), importPrivateKey(id.privateKey)).toString('hex'), RFC_SIG_EMPTY);
    assert.equal(publicKeyFromPrivate(id.privateKey), id.publicKey);
  });

  test('generated identities are fresh, 32-byte raw public keys', () => {
    assert.notEqual(ME.publicKey, OTHER.publicKey);
    assert.equal(Buffer.from(ME.publicKey, 'base64').length, 32);
    assert.ok(isEd25519PublicKey(ME.publicKey));
    assert.equal(importPublicKey(ME.publicKey)?.asymmetricKeyType, 'ed25519');
  });

  test('sign, attach, serialize, parse, verify', () => {
    const env = testEnvelope({ body: 'héllo ✓', metadata: { '10': 1, b: 2 } });
    const sig = signEnvelopeEd25519(env, ME.privateKey);
    assert.match(sig, /^ed25519:[A-Za-z0-9+/]{86}==$/);
    const wire = parseOrdered(serializeJq(attachSignature(env, sig) as never));
    assert.equal(verifyEnvelopeEd25519(wire, ME.publicKey), true);
    assert.equal(verifyEnvelopeEd25519(wire, OTHER.publicKey), false);
    // Ed25519 is deterministic: same bytes, same signature.
    assert.equal(signEnvelopeEd25519(parseOrdered(VECTOR_ENVELOPE_TEXT), ME.privateKey), signEnvelopeEd25519(testEnvelope(), ME.privateKey));
  });

  test('verify never throws: bad signatures, envelopes and public keys give false', () => {
    const env = testEnvelope();
    const sig = signEnvelopeEd25519(env, ME.privateKey);
    const b64 = sig.slice('ed25519:'.length);
    for (const s of [undefined, null, 7, '', 'ed25519:', `sha256:${b64}`, b64, `ed25519:${b64.slice(0, -4)}`, `ed25519:${b64}AAAA`, `ed25519:${b64.replace(/==$/, '=')}`]) {
      const candidate = s === undefined ? env : { ...env, signature: s };
      assert.equal(verifyEnvelopeEd25519(candidate as never, ME.publicKey), false, String(s));
    }
    const signed = attachSignature(env, sig);
    const ecPub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    for (const pk of ['', 'AAAA', ME.privateKey, Buffer.alloc(31).toString('base64'), ecPub.toString('base64'), 42, null]) {
      assert.equal(verifyEnvelopeEd25519(signed, pk as never), false);
    }
    for (const notAnEnvelope of [null, 'x', [], 3]) assert.equal(verifyEnvelopeEd25519(notAnEnvelope as never, ME.publicKey), false);
    assert.equal(verifyEnvelopeEd25519({ ...signed, x: undefined } as never, ME.publicKey), false);
  });

  test('bad private keys throw KEY_INVALID without echoing the key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    for (const bad of ['', 'not base64!', ME.publicKey, ec, ME.privateKey.slice(0, -8)]) {
      assert.throws(
        () => signEnvelopeEd25519(testEnvelope(), bad),
        (e) => isMeshError(e) && e.code === 'KEY_INVALID' && (bad === '' || !e.message.includes(bad)),
      );
    }
  });

  test('property: sign/verify round trip over generated envelopes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<never>), (body, metadata) => {
        const env = testEnvelope({ body, metadata });
        const wire = serializeJq(attachSignature(env, signEnvelopeEd25519(env, ME.privateKey)) as never);
        assert.equal(verifyEnvelopeEd25519(parseOrdered(wire), ME.publicKey), true);
      }),
      { numRuns: 150 },
    );
  });

  test('property: any bit flip in a serialized signed envelope breaks verification', () => {
    assertBitFlipsBreakSignature((env) => signEnvelopeEd25519(env, ME.privateKey), (doc) => verifyEnvelopeEd25519(doc, ME.publicKey), 1000);
  });
});

describe('Ed25519 over relayed envelopes', () => {
  test('the relay marker appended after signing is left out; a changed body is not', () => {
    const env = testEnvelope();
    const wire = serializeJq(attachSignature(env, signEnvelopeEd25519(env, ME.privateKey)) as never);
    const relayed = appendRelayMarker(wire, { from: 'alpha', via: 'gamma', originalTo: 'beta' });
    assert.equal(verifyEnvelopeEd25519(parseOrdered(relayed), ME.publicKey), true);
    assert.equal(verifyEnvelopeEd25519(parseOrdered(relayed.replace('"body":"Hello"', '"body":"Hellp"')), ME.publicKey), false);
  });
});
