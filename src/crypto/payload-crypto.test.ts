import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrdered, serializeJq } from '../protocol/canonical-json.ts';
import { isMeshError } from '../protocol/errors.ts';
import { toPlain } from '../protocol/json.ts';
import type { Envelope } from '../protocol/envelope.ts';
import { encryptCbc } from './aes-cbc.ts';
import { signEnvelopeHmac, verifyEnvelopeHmac } from './hmac.ts';
import {
  ENCRYPTED_SUBJECT, bodyScheme, decryptEnvelope, decryptEnvelopeBody, encryptEnvelopeBody, envelopeAad,
} from './payload-crypto.ts';
import { attachSignature } from './signature-format.ts';
import { VECTOR_KEY, testEnvelope } from './test-envelopes.ts';

const IV = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const fixedIv = (n: number): Buffer => Buffer.from(IV.subarray(0, n));
const code = (c: string) => (e: unknown): boolean => isMeshError(e) && e.code === c;

describe('payload body encryption', () => {
  test('CBC: bash shape, body becomes the cipher JSON string, encrypted appended after metadata', () => {
    const env = encryptEnvelopeBody(testEnvelope({ body: 'Top secret', subject: 'status' }), 'aes-256-cbc', VECTOR_KEY, { random: fixedIv });
    const cipher = '{"enc":"aes-256-cbc","iv":"000102030405060708090a0b0c0d0e0f","data":"TLwPekdLallgIh8F/vWZFg=="}';
    assert.equal(env.payload.body, cipher);
    assert.ok(
      serializeJq(env as never).endsWith(
        `"payload":{"subject":"status","body":${JSON.stringify(cipher)},"attachments":[],"metadata":{},"encrypted":true}}`,
      ),
    );
    assert.equal(decryptEnvelopeBody(env, VECTOR_KEY), 'Top secret');
  });

  test('decrypts a bash-built encrypted envelope parsed from the wire', () => {
    const body = encryptCbc(VECTOR_KEY, 'from bash', IV);
    const wire = serializeJq({ ...testEnvelope(), payload: { subject: 's', body, attachments: [], metadata: {}, encrypted: true } } as never);
    const env = toPlain(parseOrdered(wire)) as unknown as Envelope;
    assert.equal(decryptEnvelopeBody(env, `${VECTOR_KEY}\n`), 'from bash');
  });

  test('the default subject (a prefix of the plaintext) is redacted; an explicit one is kept', () => {
    const long = 'the launch code is 0000 '.repeat(10);
    const redacted = encryptEnvelopeBody(testEnvelope({ body: long }), 'aes-256-gcm', VECTOR_KEY);
    assert.equal(redacted.payload.subject, ENCRYPTED_SUBJECT);
    assert.ok(!serializeJq(redacted as never).includes('launch'));
    const kept = encryptEnvelopeBody(testEnvelope({ body: long, subject: 'weekly report' }), 'aes-256-cbc', VECTOR_KEY);
    assert.equal(kept.payload.subject, 'weekly report');
  });

  test('GCM: round trip, and the ciphertext is bound to id, from and to', () => {
    const plain = testEnvelope({ body: 'héllo ✓' });
    const env = encryptEnvelopeBody(plain, 'aes-256-gcm', VECTOR_KEY);
    assert.equal(bodyScheme(env.payload.body), 'aes-256-gcm');
    assert.equal(decryptEnvelopeBody(env, VECTOR_KEY), 'héllo ✓');
    for (const moved of [{ ...env, to: 'gamma' }, { ...env, from: 'mallory' }, { ...env, id: 'msg_other' }]) {
      assert.throws(() => decryptEnvelopeBody(moved, VECTOR_KEY), code('DECRYPT_FAILED'));
    }
    assert.equal(envelopeAad(env), 'mesh/1.0|msg_00000000-0000-4000-8000-000000000000|alpha|beta');
    assert.throws(() => envelopeAad({ ...env, to: 'a|b' }), code('INVALID_ENVELOPE'));
  });

  test('GCM requires a 64-hex key file', () => {
    assert.throws(() => encryptEnvelopeBody(testEnvelope(), 'aes-256-gcm', 'abc'), code('KEY_INVALID'));
  });

  test('the input is not modified; decryptEnvelope gives the plaintext copy without the flag', () => {
    const plain = testEnvelope({ body: 'secret', subject: 's' });
    const before = serializeJq(plain as never);
    const env = encryptEnvelopeBody(plain, 'aes-256-gcm', VECTOR_KEY);
    assert.equal(serializeJq(plain as never), before);
    const back = decryptEnvelope(env, VECTOR_KEY);
    assert.equal(serializeJq(back as never), before);
  });

  test('encrypt, then sign: the signature covers the ciphertext; signed or encrypted input is refused', () => {
    const env = encryptEnvelopeBody(testEnvelope({ body: 'x' }), 'aes-256-cbc', VECTOR_KEY);
    const signed = attachSignature(env, signEnvelopeHmac(env, VECTOR_KEY));
    assert.equal(verifyEnvelopeHmac(signed, VECTOR_KEY), true);
    const swapped = { ...signed, payload: { ...signed.payload, body: encryptCbc(VECTOR_KEY, 'y') } };
    assert.equal(verifyEnvelopeHmac(swapped, VECTOR_KEY), false);
    assert.throws(() => encryptEnvelopeBody(signed, 'aes-256-cbc', VECTOR_KEY), code('INVALID_ARGUMENT'));
    assert.throws(() => encryptEnvelopeBody(env, 'aes-256-gcm', VECTOR_KEY), code('INVALID_ARGUMENT'));
    assert.throws(() => encryptEnvelopeBody(testEnvelope(), 'rot13' as never, VECTOR_KEY), code('INVALID_ARGUMENT'));
  });

  test('decrypting: unmarked body, unknown scheme, wrong key', () => {
    assert.throws(() => decryptEnvelopeBody(testEnvelope(), VECTOR_KEY), code('INVALID_ARGUMENT'));
    const odd = { ...testEnvelope(), payload: { ...testEnvelope().payload, body: '{"enc":"rot13"}', encrypted: true as const } };
    assert.throws(() => decryptEnvelopeBody(odd, VECTOR_KEY), code('DECRYPT_FAILED'));
    const env = encryptEnvelopeBody(testEnvelope({ body: 'x' }), 'aes-256-gcm', VECTOR_KEY);
    assert.throws(() => decryptEnvelopeBody(env, 'ff'.repeat(32)), code('DECRYPT_FAILED'));
    assert.equal(bodyScheme('not json'), null);
    assert.equal(bodyScheme('null'), null);
  });
});
