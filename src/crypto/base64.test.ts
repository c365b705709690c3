import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64Strict } from './base64.ts';

test('accepts canonical padded base64 and round-trips any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      const b64 = Buffer.from(bytes).toString('base64');
      assert.deepEqual(decodeBase64Strict(b64), Buffer.from(bytes));
    }),
  );
});

test('rejects every other spelling (so one value has exactly one accepted text)', () => {
  const good = Buffer.from('any carnal pleas').toString('base64'); // 'YW55IGNhcm5hbCBwbGVhcw=='
  for (const bad of [
    good.replace(/=+$/, ''), // unpadded
    `${good}=`, // extra padding
    `${good.slice(0, -3)}x==`, // non-zero padding bits ('x' carries bits a canonical encoder never sets)
    ` ${good}`, `${good}\n`, good.replace('5', '-'), good.replace('5', '_'), // whitespace, url-safe alphabet
    'A', 'AB=', '====', 'AB=C',
  ]) {
    assert.equal(decodeBase64Strict(bad), null, bad);
  }
  for (const notString of [null, undefined, 1, ['AAAA'], Buffer.from('AAAA')]) assert.equal(decodeBase64Strict(notString), null);
  assert.deepEqual(decodeBase64Strict(''), Buffer.alloc(0));
});
