import assert from 'node:assert/strict';
import { test } from 'node:test';
import { derivedOptions } from './derived-options.ts';

test('a fixed source is derived once', () => {
  let calls = 0;
  const get = derivedOptions({ n: 1 }, (o) => (calls++, o.n * 2));
  assert.equal(get(), 2);
  assert.equal(get(), 2);
  assert.equal(calls, 1);
});

test('a live source is derived again only when it returns a new object; an invalid one keeps the last good value', () => {
  let input = { n: 1 };
  let calls = 0;
  const refused: unknown[] = [];
  const get = derivedOptions(() => input, (o) => {
    calls++;
    if (o.n < 0) throw new Error('negative');
    return o.n * 2;
  }, (e) => refused.push(e));
  assert.equal(get(), 2);
  assert.equal(get(), 2);
  assert.equal(calls, 1, 'same object: not derived again');
  input = { n: 5 };
  assert.equal(get(), 10);
  input = { n: -1 };
  assert.equal(get(), 10, 'the last good value stays');
  assert.equal(refused.length, 1);
  assert.equal(get(), 10);
  assert.equal(refused.length, 1, 'the same bad object is reported once');
});

test('the first input must derive', () => {
  assert.throws(() => derivedOptions(() => ({ n: -1 }), (o) => {
    if (o.n < 0) throw new Error('negative');
    return o.n;
  }), /negative/);
});
