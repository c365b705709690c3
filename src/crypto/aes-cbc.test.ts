import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cbcKeyBytes, decryptCbc, encryptCbc } from './aes-cbc.ts';
import { isMeshError } from '../protocol/errors.ts';

const KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const IV = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

const decryptFails = (fn: () => unknown): void =>
  assert.throws(fn, (e) => isMeshError(e) && e.code === 'DECRYPT_FAILED');

describe('aes-256-cbc (bash-compatible)', () => {
  test('key bytes are the ASCII text, not the hex decoding (§14 D)', () => {
    assert.equal(cbcKeyBytes(KEY).toString('hex'), '3030313132323333343435353636373738383939616162626363646465656666');
    assert.equal(cbcKeyBytes(' abc\n').toString('hex'), '616263' + '00'.repeat(29));
  });

  test('golden vector: 64-char key', () => {
    assert.equal(
      encryptCbc(KEY, 'Top secret', IV),
      '{"enc":"aes-256-cbc","iv":"000102030405060708090a0b0c0d0e0f","data":"TLwPekdLallgIh8F/vWZFg=="}',
    );
  });

  test('golden vector: short key "abc" is zero-padded', () => {
    const out = JSON.parse(encryptCbc('abc', 'Top secret', IV)) as { data: string };
    assert.equal(out.data, 'TsOelFTf1YvAoyyp4B7xKQ==');
  });

  test('whitespace in the key file (trailing newline as bash writes it) is ignored', () => {
    assert.equal(encryptCbc(`${KEY}\n`, 'x', IV), encryptCbc(KEY, 'x', IV));
    assert.equal(decryptCbc(` ${KEY}\r\n`, encryptCbc(KEY, 'Top secret', IV)), 'Top secret');
  });

  test('random IV is 32 lowercase hex and differs between calls', () => {
    const a = JSON.parse(encryptCbc(KEY, 'x')) as { iv: string };
    const b = JSON.parse(encryptCbc(KEY, 'x')) as { iv: string };
    assert.match(a.iv, /^[0-9a-f]{32}$/);
    assert.notEqual(a.iv, b.iv);
  });

  test('injected random source supplies the IV', () => {
    const out = encryptCbc(KEY, 'Top secret', undefined, (n) => Buffer.from(IV.subarray(0, n)));
    assert.equal(out, encryptCbc(KEY, 'Top secret', IV));
  });

  test('round trip for arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ minLength: 1, maxLength: 80 }), (text, key) => {
        fc.pre(key.replace(/[ \t\n\v\f\r]/g, '').length > 0);
        assert.equal(decryptCbc(key, encryptCbc(key, text)), text);
      }),
    );
  });

  test('decrypts a body whose base64 is line-wrapped (bash base64 -d tolerates it)', () => {
    const long = 'y'.repeat(100);
    const doc = JSON.parse(encryptCbc(KEY, long, IV)) as { iv: string; data: string };
    const wrapped = doc.data.replace(/(.{64})/g, '$1\n');
    assert.equal(decryptCbc(KEY, JSON.stringify({ iv: doc.iv, data: wrapped })), long);
  });

  test('wrong key fails loudly (padding or UTF-8 check)', () => {
    const ct = encryptCbc(KEY, 'Top secret message, long enough to span blocks', IV);
    decryptFails(() => decryptCbc('ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100', ct));
    decryptFails(() => decryptCbc('abc', ct));
  });

  test('malformed ciphertext documents fail with DECRYPT_FAILED', () => {
    for (const bad of [
      'not json',
      '[]',
      'null',
      '{"iv":"00","data":"AAAA"}',
      '{"enc":"aes-256-gcm","iv":"000102030405060708090a0b0c0d0e0f","data":"TLwPekdLallgIh8F/vWZFg=="}',
      '{"iv":"000102030405060708090a0b0c0d0e0f","data":""}',
      '{"iv":"000102030405060708090a0b0c0d0e0f","data":"AAAA"}',
      '{"iv":"000102030405060708090a0b0c0d0e0f","data":"TLwPekdL*llgIh8F/vWZFg=="}',
      '{"iv":"000102030405060708090a0b0c0d0e0f"}',
    ]) {
      decryptFails(() => decryptCbc(KEY, bad));
    }
  });

  test('tampering with the last block breaks the padding (the only check CBC has)', () => {
    const doc = JSON.parse(encryptCbc(KEY, 'Top secret', IV)) as { iv: string; data: string };
    const bytes = Buffer.from(doc.data, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    decryptFails(() => decryptCbc(KEY, JSON.stringify({ ...doc, data: bytes.toString('base64') })));
  });

  test('CBC is malleable: an IV bit flip changes the plaintext undetected (why we sign after encrypting)', () => {
    const doc = JSON.parse(encryptCbc(KEY, 'pay 100', IV)) as { iv: string; data: string };
    const iv = Buffer.from(doc.iv, 'hex');
    iv[4] = (iv[4] ?? 0) ^ ('1'.charCodeAt(0) ^ '9'.charCodeAt(0));
    assert.equal(decryptCbc(KEY, JSON.stringify({ ...doc, iv: iv.toString('hex') })), 'pay 900');
  });

  test('empty key and bad IV length are rejected without echoing key text', () => {
    assert.throws(() => encryptCbc(' \n', 'x'), (e) => isMeshError(e) && e.code === 'KEY_INVALID');
    assert.throws(() => encryptCbc(KEY, 'x', Buffer.alloc(8)), (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT');
    try {
      decryptCbc(KEY, '{"iv":"zz","data":"AAAA"}');
      assert.fail('expected failure');
    } catch (e) {
      assert.ok(!String((e as Error).message).includes(KEY));
    }
  });
});
