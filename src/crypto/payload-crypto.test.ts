import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrdered, serializeJq } from '../protocol/canonical-json.ts';
import { isMeshError } from '../protocol/errors.ts';
import { toPlain } from '../protocol/json.ts';
import type { Envelope } from '../protocol/envelope.ts';
import { encryptCbc } from './aes-cbc.ts';
import { signEnvelopeHmac, verifyEnvelopeHmac } from './hmac.ts';
import { encryptGcm } from './aes-gcm.ts';
import {
  ENCRYPTED_SUBJECT, bodyScheme, decryptEnvelope, decryptEnvelopePayload, encryptEnvelopePayload, envelopeAad,
} from './payload-crypto.ts';
import { attachSignature } from './signature-format.ts';
import { VECTOR_KEY, testEnvelope } from './test-envelopes.ts';

const IV = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const fixedIv = (n: number): Buffer => Buffer.from(IV.subarray(0, n));
const code = (c: string) => (e: unknown): boolean => isMeshError(e) && e.code === c;

describe('payload body encryption', () => {
  test('CBC: bash shape, body becomes the cipher JSON string, encrypted appended after metadata', () => {
    const env = encryptEnvelopePayload(testEnvelope({ body: 'Top secret', subject: 'status' }), 'aes-256-cbc', VECTOR_KEY, { random: fixedIv });
    const cipher = '{"enc":"aes-256-cbc","iv":"000102030405060708090a0b0c0d0e0f","data":"TLwPekdLallgIh8F/vWZFg=="}';
    assert.equal(env.payload.body, cipher);
    assert.ok(
      serializeJq(env as never).endsWith(
        `"payload":{"subject":"status","body":${JSON.stringify(cipher)},"attachments":[],"metadata":{},"encrypted":true}}`,
      ),
    );
    assert.equal(decryptEnvelopePayload(env, VECTOR_KEY).body, 'Top secret');
  });

  test('decrypts a bash-built encrypted envelope parsed from the wire', () => {
    const body = encryptCbc(VECTOR_KEY, 'from bash', IV);
    const wire = serializeJq({ ...testEnvelope(), payload: { subject: 's', body, attachments: [], metadata: {}, encrypted: true } } as never);
    const env = toPlain(parseOrdered(wire)) as unknown as Envelope;
    assert.equal(decryptEnvelopePayload(env, `${VECTOR_KEY}\n`).body, 'from bash');
  });

  test('the default subject (a prefix of the plaintext) is redacted; an explicit one is kept', () => {
    const long = 'the launch code is 0000 '.repeat(10);
    const redacted = encryptEnvelopePayload(testEnvelope({ body: long }), 'aes-256-gcm', VECTOR_KEY);
    assert.equal(redacted.payload.subject, ENCRYPTED_SUBJECT);
    assert.ok(!serializeJq(redacted as never).includes('launch'));
    const kept = encryptEnvelopePayload(testEnvelope({ body: long, subject: 'weekly report' }), 'aes-256-cbc', VECTOR_KEY);
    assert.equal(kept.payload.subject, 'weekly report');
  });

  test('GCM: round trip, and the ciphertext is bound to id, from and to', () => {
    const plain = testEnvelope({ body: 'héllo ✓' });
    const env = encryptEnvelopePayload(plain, 'aes-256-gcm', VECTOR_KEY);
    assert.equal(bodyScheme(env.payload.body), 'aes-256-gcm');
    assert.equal(decryptEnvelopePayload(env, VECTOR_KEY).body, 'héllo ✓');
    for (const moved of [{ ...env, to: 'gamma' }, { ...env, from: 'mallory' }, { ...env, id: 'msg_other' }]) {
      assert.throws(() => decryptEnvelopePayload(moved, VECTOR_KEY).body, code('DECRYPT_FAILED'));
    }
    assert.equal(envelopeAad(env), 'mesh/1.0|msg_00000000-0000-4000-8000-000000000000|alpha|beta');
    assert.throws(() => envelopeAad({ ...env, to: 'a|b' }), code('INVALID_ENVELOPE'));
  });

  test('GCM requires a 64-hex key file', () => {
    assert.throws(() => encryptEnvelopePayload(testEnvelope(), 'aes-256-gcm', 'abc'), code('KEY_INVALID'));
  });

  test('the input is not modified; decryptEnvelope gives the plaintext copy without the flag', () => {
    const plain = testEnvelope({ body: 'secret', subject: 's' });
    const before = serializeJq(plain as never);
    const env = encryptEnvelopePayload(plain, 'aes-256-gcm', VECTOR_KEY);
    assert.equal(serializeJq(plain as never), before);
    const back = decryptEnvelope(env, VECTOR_KEY);
    assert.equal(serializeJq(back as never), before);
  });

  test('encrypt, then sign: the signature covers the ciphertext; signed or encrypted input is refused', () => {
    const env = encryptEnvelopePayload(testEnvelope({ body: 'x' }), 'aes-256-cbc', VECTOR_KEY);
    const signed = attachSignature(env, signEnvelopeHmac(env, VECTOR_KEY));
    assert.equal(verifyEnvelopeHmac(signed, VECTOR_KEY), true);
    const swapped = { ...signed, payload: { ...signed.payload, body: encryptCbc(VECTOR_KEY, 'y') } };
    assert.equal(verifyEnvelopeHmac(swapped, VECTOR_KEY), false);
    assert.throws(() => encryptEnvelopePayload(signed, 'aes-256-cbc', VECTOR_KEY), code('INVALID_ARGUMENT'));
    assert.throws(() => encryptEnvelopePayload(env, 'aes-256-gcm', VECTOR_KEY), code('INVALID_ARGUMENT'));
    assert.throws(() => encryptEnvelopePayload(testEnvelope(), 'rot13' as never, VECTOR_KEY), code('INVALID_ARGUMENT'));
  });

  test('decrypting: unmarked body, unknown scheme, wrong key', () => {
    assert.throws(() => decryptEnvelopePayload(testEnvelope(), VECTOR_KEY).body, code('INVALID_ARGUMENT'));
    const odd = { ...testEnvelope(), payload: { ...testEnvelope().payload, body: '{"enc":"rot13"}', encrypted: true as const } };
    assert.throws(() => decryptEnvelopePayload(odd, VECTOR_KEY).body, code('DECRYPT_FAILED'));
    const env = encryptEnvelopePayload(testEnvelope({ body: 'x' }), 'aes-256-gcm', VECTOR_KEY);
    assert.throws(() => decryptEnvelopePayload(env, 'ff'.repeat(32)).body, code('DECRYPT_FAILED'));
    assert.equal(bodyScheme('not json'), null);
    assert.equal(bodyScheme('null'), null);
  });

  test('GCM with attachments: they travel inside the ciphertext (format 2), the wire list is empty', () => {
    const secret = Buffer.from('quarterly numbers: 4711').toString('base64');
    const attachments = [
      { type: 'inline' as const, encoding: 'base64' as const, data: secret, filename: 'secret-plan.txt', mimeType: 'text/plain', size: 23 },
      { type: 'url' as const, url: 'http://127.0.0.1:18790/files/TOKENtokenTOKENtoken/big.bin', filename: 'big.bin', expiresAt: '2026-01-01T00:05:00.000Z' },
    ];
    const plain = testEnvelope({ body: 'see attached', subject: 'plan', attachments });
    const env = encryptEnvelopePayload(plain, 'aes-256-gcm', VECTOR_KEY);
    const wire = serializeJq(env as never);
    for (const leak of [secret, 'secret-plan', 'TOKENtoken', 'big.bin', 'see attached']) assert.ok(!wire.includes(leak), `"${leak}" in clear`);
    assert.deepEqual(env.payload.attachments, []);
    assert.match(env.payload.body, /^\{"enc":"aes-256-gcm","v":2,"salt":/);
    const opened = decryptEnvelopePayload(env, VECTOR_KEY);
    assert.equal(opened.body, 'see attached');
    assert.deepEqual(opened.sealedAttachments, attachments);
    assert.equal(serializeJq(decryptEnvelope(env, VECTOR_KEY) as never), serializeJq(plain as never));
  });

  test('GCM without attachments keeps format 1 (no "v"), which older MESH-TS nodes read', () => {
    const env = encryptEnvelopePayload(testEnvelope({ body: 'plain only' }), 'aes-256-gcm', VECTOR_KEY);
    assert.match(env.payload.body, /^\{"enc":"aes-256-gcm","salt":/);
    assert.deepEqual(decryptEnvelopePayload(env, VECTOR_KEY), { body: 'plain only', sealedAttachments: null });
  });

  test('a format-1 GCM body made by the previous release still decrypts (golden vector)', () => {
    // encryptEnvelopeBody(testEnvelope({ body: 'old gcm body ✓', subject: 'status' }), 'aes-256-gcm', VECTOR_KEY)
    // with salt bytes 0..15 and IV bytes 16..27, from the code before attachments were sealed.
    const body = '{"enc":"aes-256-gcm","salt":"AAECAwQFBgcICQoLDA0ODw==","iv":"EBESExQVFhcYGRob","data":"wu6ntVH6jAjCTuepekXLFQ==","tag":"xKnwuExc6Z/CTOhcAPP8NQ=="}';
    const env = { ...testEnvelope({ subject: 'status' }), payload: { subject: 'status', body, attachments: [], metadata: {}, encrypted: true as const } };
    assert.deepEqual(decryptEnvelopePayload(env, VECTOR_KEY), { body: 'old gcm body ✓', sealedAttachments: null });
  });

  test('the format is authenticated: adding, removing or changing "v" fails', () => {
    const withAtt = encryptEnvelopePayload(testEnvelope({ body: 'b', attachments: [{ type: 'inline', encoding: 'base64', data: 'AAAA' }] }), 'aes-256-gcm', VECTOR_KEY);
    const without = encryptEnvelopePayload(testEnvelope({ body: 'b' }), 'aes-256-gcm', VECTOR_KEY);
    const edit = (env: Envelope, f: (doc: Record<string, unknown>) => Record<string, unknown>): Envelope =>
      ({ ...env, payload: { ...env.payload, body: JSON.stringify(f(JSON.parse(env.payload.body) as Record<string, unknown>)) } });
    const dropV = ({ v: _v, ...rest }: Record<string, unknown>): Record<string, unknown> => rest;
    const addV = ({ enc, ...rest }: Record<string, unknown>): Record<string, unknown> => ({ enc, v: 2, ...rest });
    assert.throws(() => decryptEnvelopePayload(edit(withAtt, dropV), VECTOR_KEY), code('DECRYPT_FAILED'));
    assert.throws(() => decryptEnvelopePayload(edit(without, addV), VECTOR_KEY), code('DECRYPT_FAILED'));
    assert.throws(() => decryptEnvelopePayload(edit(withAtt, (d) => ({ ...d, v: 3 })), VECTOR_KEY), code('DECRYPT_FAILED'));
  });

  test('a format-2 plaintext that is not the sealed document is refused', () => {
    const env = testEnvelope({ body: 'x' });
    for (const plain of ['just text', '{"body":"x"}', '{"body":1,"attachments":[]}', '{"body":"x","attachments":{}}', '{"body":"x","attachments":[],"more":1}', '[]']) {
      const body = encryptGcm(VECTOR_KEY, plain, envelopeAad(env, 2), { format: 2 });
      const sealed = { ...env, payload: { ...env.payload, body, encrypted: true as const } };
      assert.throws(() => decryptEnvelopePayload(sealed, VECTOR_KEY), code('DECRYPT_FAILED'), plain);
    }
  });

  test('CBC cannot carry attachments: refused unless clear attachments are allowed, then they stay clear', () => {
    const plain = testEnvelope({ body: 'b', attachments: [{ type: 'inline', encoding: 'base64', data: 'QUJD', filename: 'abc.txt' }] });
    assert.throws(() => encryptEnvelopePayload(plain, 'aes-256-cbc', VECTOR_KEY), code('INVALID_ARGUMENT'));
    const env = encryptEnvelopePayload(plain, 'aes-256-cbc', VECTOR_KEY, { clearAttachments: true });
    assert.deepEqual(env.payload.attachments, plain.payload.attachments);
    assert.deepEqual(decryptEnvelopePayload(env, VECTOR_KEY), { body: 'b', sealedAttachments: null });
  });
});
