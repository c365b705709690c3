import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractHookToken, tokensEqual } from './hook-token.ts';

test('Bearer (any case) wins over x-openclaw-token', () => {
  assert.equal(extractHookToken('Bearer abc', 'zzz'), 'abc');
  assert.equal(extractHookToken('bearer   abc ', undefined), 'abc');
  assert.equal(extractHookToken('BEARER abc', undefined), 'abc');
});

test('x-openclaw-token is used when there is no usable Bearer', () => {
  assert.equal(extractHookToken(undefined, 'zzz'), 'zzz');
  assert.equal(extractHookToken('Basic dXNlcjpwdw==', 'zzz'), 'zzz');
  assert.equal(extractHookToken('Bearer ', 'zzz'), 'zzz');
});

test('nothing usable is null', () => {
  assert.equal(extractHookToken(undefined, undefined), null);
  assert.equal(extractHookToken('Basic x', '  '), null);
});

test('tokensEqual compares exactly', () => {
  assert.equal(tokensEqual('secret', 'secret'), true);
  assert.equal(tokensEqual('secret', 'secreT'), false);
  assert.equal(tokensEqual('secret', 'secret2'), false);
  assert.equal(tokensEqual('', 'secret'), false);
});
