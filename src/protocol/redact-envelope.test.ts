import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactedEnvelope, redactedEnvelopeText } from './redact-envelope.ts';

const env = JSON.stringify({ id: 'm1', replyTo: { url: 'http://h/hooks/a', token: 'secret-1' }, meta: { hookToken: 'secret-2', list: [{ authToken: 'secret-3' }] }, payload: { body: 'token: visible text' } });

test('every token-named value is masked, the rest is kept', () => {
  const v = redactedEnvelope(env) as { replyTo: { url: string; token: string }; payload: { body: string } };
  assert.equal(v.replyTo.token, '***');
  assert.equal(v.replyTo.url, 'http://h/hooks/a');
  assert.equal(v.payload.body, 'token: visible text');
  const text = redactedEnvelopeText(env);
  for (const s of ['secret-1', 'secret-2', 'secret-3']) assert.ok(!text.includes(s), s);
  assert.match(text, /\n {2}"id": "m1"/, 'pretty-printed');
});

test('text that is not JSON is masked by pattern', () => {
  const broken = `${env.slice(0, -5)}`;
  assert.equal(redactedEnvelope(broken), null);
  const text = redactedEnvelopeText(broken);
  assert.ok(!text.includes('secret-1') && !text.includes('secret-2'));
  assert.match(text, /"token":"\*\*\*"/);
});

test('a key called __proto__ stays data', () => {
  const v = redactedEnvelope('{"__proto__":{"token":"s"}}') as Record<string, unknown>;
  assert.deepEqual(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { token: '***' });
});
