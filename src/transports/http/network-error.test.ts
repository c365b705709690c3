import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkErrorCode } from './network-error.ts';

const err = (code: string): Error => Object.assign(new Error('x'), { code });

test('errno codes map to the short transport codes', () => {
  assert.equal(networkErrorCode(err('ECONNREFUSED')), 'connection_refused');
  assert.equal(networkErrorCode(err('ENOTFOUND')), 'dns');
  assert.equal(networkErrorCode(err('EAI_AGAIN')), 'dns');
  assert.equal(networkErrorCode(err('ECONNRESET')), 'reset');
  assert.equal(networkErrorCode(err('EPIPE')), 'reset');
  assert.equal(networkErrorCode(err('ETIMEDOUT')), 'timeout');
  assert.equal(networkErrorCode(err('ERR_INVALID_CHAR')), 'invalid_request');
});

test('anything else is network', () => {
  assert.equal(networkErrorCode(err('EHOSTUNREACH')), 'network');
  assert.equal(networkErrorCode(new Error('plain')), 'network');
  assert.equal(networkErrorCode('string'), 'network');
  assert.equal(networkErrorCode(null), 'network');
});
