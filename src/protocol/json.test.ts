import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOrdered } from './canonical-json.ts';
import { toPlain } from './json.ts';

test('toPlain keeps a "__proto__" key as data, never as the prototype', () => {
  const plain = toPlain(parseOrdered('{"a":1,"__proto__":{"polluted":true},"b":{"__proto__":[1]}}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(plain), Object.prototype);
  assert.equal((plain as { polluted?: unknown }).polluted, undefined);
  assert.deepEqual(Object.keys(plain), ['a', '__proto__', 'b']);
  assert.equal(JSON.stringify(plain), '{"a":1,"__proto__":{"polluted":true},"b":{"__proto__":[1]}}');
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});
