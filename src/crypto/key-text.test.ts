import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../protocol/errors.ts';
import { hexKeyBytes, isHexKey, keyTextBytes, stripKeyWhitespace } from './key-text.ts';

const HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

test('strips exactly the characters tr -d [:space:] strips in the C locale', () => {
  assert.equal(stripKeyWhitespace(' a\tb\nc\vd\fe\rf '), 'abcdef');
  // Non-ASCII spaces are key bytes to bash, so they stay.
  assert.equal(stripKeyWhitespace('a\u00a0b\u2003c'), 'a\u00a0b\u2003c');
});

test('keyTextBytes is the text itself; empty keys are KEY_INVALID', () => {
  assert.equal(keyTextBytes(`${HEX}\n`, 'signing').toString('ascii'), HEX);
  assert.throws(() => keyTextBytes(' \r\n\t', 'signing'), (e) => isMeshError(e) && e.code === 'KEY_INVALID');
});

test('hexKeyBytes decodes 64 hex characters only', () => {
  assert.equal(hexKeyBytes(` ${HEX.toUpperCase()}\n`, 'gcm').toString('hex'), HEX);
  assert.ok(isHexKey(`${HEX}\n`));
  for (const bad of ['', HEX.slice(1), `${HEX}0`, `${HEX.slice(1)}z`, 'abc']) {
    assert.equal(isHexKey(bad), false);
    assert.throws(() => hexKeyBytes(bad, 'gcm'), (e) => isMeshError(e) && e.code === 'KEY_INVALID' && !e.message.includes(bad || '\u0000'));
  }
});
