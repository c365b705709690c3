import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionKeyFor } from './session-key.ts';

const allowed = ['hook:'];
const env = { from: 'alpha', conversationId: 'conv_1767225600_abcdef01' };

test('an allowed requested key is used, with any agent:<id>: prefix removed', () => {
  assert.equal(sessionKeyFor('hook:mesh:thread-7', env, allowed, 'hook:mesh:'), 'hook:mesh:thread-7');
  assert.equal(sessionKeyFor('agent:main:hook:x', env, allowed, 'hook:mesh:'), 'hook:x');
  assert.equal(sessionKeyFor('HOOK:Upper', env, allowed, 'hook:mesh:'), 'HOOK:Upper');
});

test('a key outside the allowed prefixes falls back to the conversation', () => {
  assert.equal(sessionKeyFor('agent:main:main', env, allowed, 'hook:mesh:'), 'hook:mesh:conv_1767225600_abcdef01');
  assert.equal(sessionKeyFor('slack:thread:1', env, allowed, 'hook:mesh:'), 'hook:mesh:conv_1767225600_abcdef01');
  assert.equal(sessionKeyFor('', env, allowed, 'hook:mesh:'), 'hook:mesh:conv_1767225600_abcdef01');
});

test('no conversation: one session per sender; odd characters are neutralised', () => {
  assert.equal(sessionKeyFor(null, { from: 'alpha', conversationId: null }, allowed, 'hook:mesh:'), 'hook:mesh:alpha');
  assert.equal(sessionKeyFor(null, { from: 'a', conversationId: 'c/../x y\n' }, allowed, 'hook:mesh:'), 'hook:mesh:c_.._x_y_');
});

test('several allowed prefixes', () => {
  assert.equal(sessionKeyFor('agent:main:slack:t', env, ['hook:', 'slack:'], 'hook:mesh:'), 'slack:t');
});
