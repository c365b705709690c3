import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError, MeshErrorCode } from './errors.ts';
import { assertAgentName, isBashCompatibleName, isValidAgentName } from './names.ts';

test('agent names: letters, digits, _ and -, starting with a letter or _, at most 64', () => {
  for (const ok of ['alpha', 'worker-a', '_ops', 'A1', 'a'.repeat(64)]) assert.ok(isValidAgentName(ok), ok);
  for (const bad of ['', '-a', '1a', 'a b', 'a/b', '../x', 'a.b', 'ä', 'a'.repeat(65)]) assert.ok(!isValidAgentName(bad), bad);
});

test('reserved words and Object.prototype members are refused', () => {
  for (const name of ['all', 'agent', 'wake', 'fleet', '__proto__', 'constructor', 'prototype']) {
    assert.ok(!isValidAgentName(name), name);
    assert.throws(() => assertAgentName(name), (e) => isMeshError(e) && e.code === MeshErrorCode.InvalidName);
  }
});

test('bash can address only jq identifiers', () => {
  assert.ok(isBashCompatibleName('worker_a'));
  assert.ok(!isBashCompatibleName('worker-a'));
});
