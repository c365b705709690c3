import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEnvelope } from './envelope.ts';
import { agentEnvelope } from './agent-view.ts';

test('plaintext body, no replyTo token, no signature, Maps become objects, key order kept', () => {
  const envelope = {
    ...buildEnvelope({
      id: 'msg_1', timestamp: '2026-01-01T00:00:00.000Z', from: 'alpha', to: 'beta', type: 'request', nonce: 'n',
      body: '{"enc":"aes-256-cbc","iv":"00","data":"xx"}', subject: 'hi',
      replyTo: { url: 'http://a/hooks/beta', token: 'SECRET-TOKEN' },
      replyContext: new Map([['2', 'two'], ['1', 'one']]),
    }),
    signature: 'sha256:abc',
  };
  envelope.payload.encrypted = true;
  const view = agentEnvelope({ envelope, envelopeText: '', body: 'the plaintext', sessionKey: null });
  const text = JSON.stringify(view);
  assert.ok(!text.includes('SECRET-TOKEN'));
  assert.ok(!text.includes('sha256:abc'));
  assert.deepEqual(view['replyTo'], { url: 'http://a/hooks/beta' });
  assert.deepEqual(view['payload'], { subject: 'hi', body: 'the plaintext', attachments: [], metadata: {} });
  assert.deepEqual(Object.keys(view).slice(0, 3), ['protocol', 'id', 'timestamp']);
  assert.deepEqual(view['replyContext'], { 1: 'one', 2: 'two' });
});

test('attachments that travelled inside the ciphertext replace the empty wire list', () => {
  const envelope = buildEnvelope({
    id: 'msg_1', timestamp: '2026-01-01T00:00:00.000Z', from: 'alpha', to: 'beta', type: 'notification', nonce: 'n',
    body: '{"enc":"aes-256-gcm","v":2}', subject: '[encrypted]',
  });
  envelope.payload.encrypted = true;
  const attachments = [{ type: 'inline' as const, encoding: 'base64' as const, data: 'QUJD', filename: 'abc.txt' }];
  const view = agentEnvelope({ envelope, envelopeText: '', body: 'see attached', sessionKey: null, attachments });
  assert.deepEqual(view['payload'], { subject: '[encrypted]', body: 'see attached', attachments, metadata: {} });
});
