import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { GCM_HKDF_INFO, decryptGcm, encryptGcm, gcmFormatOf } from './aes-gcm.ts';
import { isMeshError } from '../protocol/errors.ts';

const KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const OTHER = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
const AAD = 'mesh/1.0|msg_1|alpha|beta';
/** Deterministic source: 0,1,2,... so the golden output below is stable. */
const counting = (): ((n: number) => Buffer) => {
  let next = 0;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ & 0xff));
};

const decryptFails = (fn: () => unknown): void =>
  assert.throws(fn, (e) => isMeshError(e) && e.code === 'DECRYPT_FAILED');

interface GcmDoc {
  enc: string;
  salt: string;
  iv: string;
  data: string;
  tag: string;
}

describe('aes-256-gcm', () => {
  test('output shape: compact, fixed key order, sizes', () => {
    const text = encryptGcm(KEY, 'Top secret', AAD);
    assert.match(text, /^\{"enc":"aes-256-gcm","salt":"[^"]{24}","iv":"[^"]{16}","data":"[^"]+","tag":"[^"]{24}"\}$/);
  });

  test('format 2 adds "v":2 after enc and is read back; gcmFormatOf tells the two apart', () => {
    const v2 = encryptGcm(KEY, 'doc', AAD, { format: 2 });
    assert.match(v2, /^\{"enc":"aes-256-gcm","v":2,"salt":"[^"]{24}","iv":"[^"]{16}","data":"[^"]+","tag":"[^"]{24}"\}$/);
    assert.equal(decryptGcm(KEY, v2, AAD), 'doc');
    assert.equal(gcmFormatOf(v2), 2);
    assert.equal(gcmFormatOf(encryptGcm(KEY, 'doc', AAD)), 1);
    const doc = JSON.parse(v2) as Record<string, unknown>;
    for (const v of [1, '2', null, 3]) decryptFails(() => gcmFormatOf(JSON.stringify({ ...doc, v })));
  });

  test('per-message key is HKDF-SHA256(hex-decoded material, salt, info); independent decryption agrees', () => {
    const doc = JSON.parse(encryptGcm(KEY, 'Top secret', AAD, { random: counting() })) as GcmDoc;
    assert.equal(doc.salt, Buffer.from([...Array(16).keys()]).toString('base64'));
    assert.equal(doc.iv, Buffer.from([...Array(12).keys()].map((i) => i + 16)).toString('base64'));
    const key = Buffer.from(hkdfSync('sha256', Buffer.from(KEY, 'hex'), Buffer.from(doc.salt, 'base64'), GCM_HKDF_INFO, 32));
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(doc.iv, 'base64'), { authTagLength: 16 });
    d.setAAD(Buffer.from(AAD));
    d.setAuthTag(Buffer.from(doc.tag, 'base64'));
    assert.equal(Buffer.concat([d.update(Buffer.from(doc.data, 'base64')), d.final()]).toString(), 'Top secret');
  });

  test('salt and IV are fresh per message', () => {
    const a = JSON.parse(encryptGcm(KEY, 'x', AAD)) as GcmDoc;
    const b = JSON.parse(encryptGcm(KEY, 'x', AAD)) as GcmDoc;
    assert.notEqual(a.salt, b.salt);
    assert.notEqual(a.iv, b.iv);
    assert.notEqual(a.data + a.tag, b.data + b.tag);
  });

  test('round trip, including empty and non-ASCII text; key file whitespace ignored', () => {
    for (const text of ['', 'Top secret', 'héllo ✓ 😀 \u007f\u0000']) {
      assert.equal(decryptGcm(`${KEY}\n`, encryptGcm(KEY, text, AAD), AAD), text);
    }
    assert.equal(decryptGcm(KEY.toUpperCase(), encryptGcm(KEY, 'x', AAD), AAD), 'x');
  });

  test('key must be 64 hex characters (KEY_INVALID, text not echoed)', () => {
    for (const bad of ['abc', KEY.slice(2), `${KEY}00`, `${KEY.slice(1)}g`, '']) {
      assert.throws(
        () => encryptGcm(bad, 'x', AAD),
        (e) => isMeshError(e) && e.code === 'KEY_INVALID' && !e.message.includes(bad || '\u0000'),
      );
      assert.throws(() => decryptGcm(bad, '{}', AAD), (e) => isMeshError(e) && e.code === 'KEY_INVALID');
    }
  });

  test('wrong key or wrong AAD fails', () => {
    const ct = encryptGcm(KEY, 'Top secret', AAD);
    decryptFails(() => decryptGcm(OTHER, ct, AAD));
    decryptFails(() => decryptGcm(KEY, ct, 'mesh/1.0|msg_1|alpha|gamma'));
  });

  test('malformed documents fail with DECRYPT_FAILED', () => {
    const doc = JSON.parse(encryptGcm(KEY, 'x', AAD)) as GcmDoc;
    const variants: unknown[] = [
      { ...doc, enc: 'aes-256-cbc' },
      { ...doc, extra: 1 },
      { ...doc, tag: Buffer.from(doc.tag, 'base64').subarray(0, 12).toString('base64') },
      { ...doc, iv: Buffer.alloc(16).toString('base64') },
      { ...doc, salt: 'AAAA' },
      { ...doc, data: 42 },
      { enc: doc.enc, salt: doc.salt, iv: doc.iv, data: doc.data },
      [],
      null,
    ];
    for (const v of variants) decryptFails(() => decryptGcm(KEY, JSON.stringify(v), AAD));
    decryptFails(() => decryptGcm(KEY, 'not json', AAD));
  });

  test('property: flipping any bit of data, tag, iv or salt fails', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.constantFrom('salt', 'iv', 'data', 'tag'),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (text, name, at, bit) => {
          const doc = JSON.parse(encryptGcm(KEY, text, AAD)) as GcmDoc;
          const bytes = Buffer.from(doc[name], 'base64');
          fc.pre(bytes.length > 0);
          const i = at % bytes.length;
          bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
          decryptFails(() => decryptGcm(KEY, JSON.stringify({ ...doc, [name]: bytes.toString('base64') }), AAD));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: replacing any character of the ciphertext text fails', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.nat(), fc.integer({ min: 1, max: 126 }), (text, at, xor) => {
        const ct = encryptGcm(KEY, text, AAD);
        const i = at % ct.length;
        const changed = String.fromCharCode(ct.charCodeAt(i) ^ xor);
        decryptFails(() => decryptGcm(KEY, ct.slice(0, i) + changed + ct.slice(i + 1), AAD));
      }),
      { numRuns: 500 },
    );
  });

  test('property: any change to the AAD fails', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (aad, other) => {
        fc.pre(aad !== other);
        decryptFails(() => decryptGcm(KEY, encryptGcm(KEY, 'body', aad), other));
      }),
      { numRuns: 200 },
    );
  });
});
