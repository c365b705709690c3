import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrdered, serializeJq } from '../protocol/canonical-json.ts';
import { isMeshError } from '../protocol/errors.ts';
import { attachSignature, signatureKind, signatureOf, signingInput, withoutSignature } from './signature-format.ts';
import { VECTOR_ENVELOPE_TEXT } from './test-envelopes.ts';

test('signingInput drops only the top-level signature and keeps Map key order', () => {
  const text = '{"signature":"x","b":1,"2":{"signature":"inner"},"a":null}';
  const doc = parseOrdered(text);
  assert.equal(signingInput(doc), '{"b":1,"2":{"signature":"inner"},"a":null}');
  assert.equal(serializeJq(doc), text, 'the input Map is not modified');
  assert.equal(signingInput(parseOrdered(VECTOR_ENVELOPE_TEXT)), VECTOR_ENVELOPE_TEXT);
});

test('attachSignature puts the signature last, replacing an earlier one, for Maps and objects', () => {
  assert.equal(serializeJq(attachSignature(parseOrdered('{"signature":"old","a":1}'), 'new')), '{"a":1,"signature":"new"}');
  assert.deepEqual(Object.keys(attachSignature({ signature: 'old', a: 1, b: 2 }, 'new')), ['a', 'b', 'signature']);
});

test('non-objects cannot be signed', () => {
  for (const v of [null, 'x', 1, [], [{}]]) {
    assert.throws(() => withoutSignature(v as never), (e) => isMeshError(e) && e.code === 'INVALID_ENVELOPE');
  }
});

test('signatureKind tells the verifier from the spelling, never throws', () => {
  const kind = (s: unknown): string => signatureKind({ a: 1, ...(s === undefined ? {} : { signature: s }) } as never);
  assert.equal(kind(undefined), 'none');
  assert.equal(kind(null), 'none');
  assert.equal(kind('sha256:abc='), 'hmac-sha256');
  assert.equal(kind('abc='), 'hmac-sha256');
  assert.equal(kind('ed25519:abc='), 'ed25519');
  assert.equal(kind('rsa:abc='), 'malformed');
  assert.equal(kind(5), 'malformed');
  assert.equal(signatureKind('x' as never), 'malformed');
  assert.equal(signatureKind(parseOrdered('{"signature":"ed25519:x"}')), 'ed25519');
  assert.equal(signatureOf({ signature: 3 } as never), null);
});
