/**
 * Property: any envelope the inbound schema accepts can be handed off. Its stored text becomes the
 * hand-off (`handOffOf`, what the worker uses), the agent view, the OpenClaw framing and gateway
 * request, and the handler command's input, without throwing; and the view keeps its contract (the
 * plaintext body, every envelope field present and never undefined, no reply token, no signature).
 *
 * The generator covers what the schema lets through: every optional field absent, null or set;
 * payload absent, null, or with any subset of its fields; attachments of both kinds; arbitrary JSON
 * in replyContext, session and metadata; unknown keys at the top level and inside objects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { agentEnvelope, handOffOf } from '../protocol/agent-view.ts';
import { MESSAGE_TYPES } from '../protocol/envelope.ts';
import { MAX_TTL_SECONDS, parseEnvelope } from '../protocol/envelope-schema.ts';
import { parseOrdered } from '../protocol/canonical-json.ts';
import { toPlain } from '../protocol/json.ts';
import { FakeTransport } from '../testing/fake-transport.ts';
import { handlerInput } from '../transports/handler/handler-command.ts';
import { frameForAgent } from '../transports/openclaw/framing.ts';
import { createOpenClawForwarder } from '../transports/openclaw/openclaw-forwarder.ts';

const REPLY_TOKEN = 'REPLY-TOKEN-0123456789';
const ENVELOPE_KEYS = [
  'protocol', 'id', 'timestamp', 'from', 'to', 'type', 'correlationId', 'conversationId', 'replyTo', 'replyContext',
  'session', 'priority', 'ttl', 'idempotencyKey', 'nonce', 'payload',
];

/** Text with the characters that break naive framing: quotes, backslashes, controls, line separators. */
const text = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\r', '\u0000', '\u007f', '\u2028', 'é', '🚀'), fc.string({ minLength: 1, maxLength: 1 })), maxLength });
/** Absent (undefined: key left out), null, or a value. */
const nullish = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const keyName = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__');
const json = fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
const extraKeys = fc.dictionary(keyName.map((k) => `x-${k}`), json, { maxKeys: 2 });

const agentName = fc.oneof(fc.constantFrom('alpha', 'beta', 'worker-a', '_b', 'A'), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,20}$/))
  .filter((n) => !['all', 'agent', 'wake', 'fleet', 'constructor', 'prototype'].includes(n));
const messageId = fc.oneof(
  fc.uuid().map((u) => `msg_${u}`),
  fc.uuid().map((u) => `msg_${u.toUpperCase()}`),
  fc.stringMatching(/^[0-9a-f]{32}$/).map((h) => `msg_${h}`),
);
const timestamp = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString());
const httpUrl = fc.constantFrom('http://127.0.0.1:8900/hooks/alpha', 'https://example.test/hooks/agent?x=1', 'http://[::1]:1/');

const attachment = fc.oneof(
  fc.record({
    type: fc.constant('inline'),
    encoding: fc.constant('base64'),
    data: fc.base64String({ maxLength: 40 }),
    filename: text(20),
    mimeType: text(20),
    size: fc.nat(),
  }, { requiredKeys: ['type', 'encoding', 'data'] }),
  fc.record({
    type: fc.constant('url'),
    url: text(40),
    description: text(20),
    expiresAt: text(20),
    filename: text(20),
  }, { requiredKeys: ['type', 'url'] }),
);

const payload = fc.tuple(
  fc.record({
    subject: nullish(text(60)),
    body: text(200),
    attachments: nullish(fc.array(attachment, { maxLength: 3 })),
    metadata: json,
    encrypted: nullish(fc.boolean()),
  }, { requiredKeys: ['body'] }),
  extraKeys,
).map(([p, extra]) => ({ ...extra, ...p }));

const envelope = fc.tuple(
  fc.record({
    protocol: fc.constantFrom('mesh/1.0', 'mesh/3.0', 'sfiac/1.0'),
    id: messageId,
    timestamp: nullish(timestamp),
    from: agentName,
    to: agentName,
    type: fc.constantFrom(...MESSAGE_TYPES),
    correlationId: nullish(text(40)),
    conversationId: nullish(text(40)),
    replyTo: nullish(fc.record({ url: httpUrl, token: nullish(fc.constant(REPLY_TOKEN)) }, { requiredKeys: ['url'] })),
    replyContext: nullish(fc.oneof(json, fc.record({ sessionKey: fc.oneof(text(30), json), conversationId: json }, { requiredKeys: [] }))),
    session: nullish(json),
    priority: nullish(text(32)),
    ttl: nullish(fc.nat({ max: MAX_TTL_SECONDS })),
    idempotencyKey: nullish(text(40)),
    nonce: nullish(fc.stringMatching(/^[\x21-\x7e]{8,40}$/)),
    payload: nullish(payload),
    signature: nullish(fc.oneof(fc.base64String({ maxLength: 60 }), fc.constant('sha256:abc='), fc.constant(''))),
    relay: nullish(fc.record({ from: agentName, via: agentName, originalTo: agentName })),
  }, { requiredKeys: ['protocol', 'id', 'from', 'to', 'type'] }),
  extraKeys,
).map(([e, extra]) => ({ ...extra, ...e }));

function accepted(stored: string): boolean {
  try {
    parseEnvelope(toPlain(parseOrdered(stored)));
    return true;
  } catch {
    return false;
  }
}

test('any envelope the schema accepts can be handed off to every adapter', async () => {
  const transport = new FakeTransport();
  const gateway = createOpenClawForwarder({ transport, gatewayUrl: 'http://127.0.0.1:18789', hookToken: 'gateway-token' });
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(envelope, text(200), async (e, plaintext) => {
      const stored = JSON.stringify(e);
      fc.pre(accepted(stored));
      checked++;

      const h = handOffOf({ envelope: stored, body: plaintext });
      const view = agentEnvelope(h);
      assert.deepEqual(Object.keys(view).filter((k) => ENVELOPE_KEYS.includes(k)), ENVELOPE_KEYS, 'every envelope field, in order');
      for (const k of Object.keys(view)) assert.notEqual(view[k], undefined, k);
      assert.equal((view['payload'] as Record<string, unknown>)['body'], plaintext);
      assert.ok(!('signature' in view));
      const viewText = JSON.stringify(view);
      assert.ok(!viewText.includes(REPLY_TOKEN), 'no reply token');

      const frame = frameForAgent(h);
      assert.ok(frame.includes(viewText.slice(0, 20)));
      const input = handlerInput(h);
      assert.deepEqual(JSON.parse(input.stdin), JSON.parse(viewText));
      assert.equal(input.env['MESH_ID'], e.id);

      const sent = transport.sent.length;
      assert.deepEqual(await gateway.deliver(h), { ok: true, reply: null });
      const request = transport.sent[sent];
      const body = JSON.parse(request?.body ?? '') as { message: string; sessionKey: string; idempotencyKey: string };
      assert.equal(body.message, frame);
      assert.equal(body.idempotencyKey, e.id);
      assert.match(body.sessionKey, /^hook:/);
    }),
    { numRuns: 400 },
  );
  assert.ok(checked >= 300, `the generator must mostly produce accepted envelopes (checked ${checked})`);
});
