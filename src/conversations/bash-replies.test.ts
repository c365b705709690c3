/**
 * Replies exactly as bash MESH writes them (bash-mesh-behavior.md §2.2, §7), through the real inbound
 * pipeline into `onInbound`: each correlates, by each of the four rules.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VECTOR_KEY } from '../crypto/test-envelopes.ts';
import { createInboundPipeline } from '../inbound/inbound-pipeline.ts';
import { jqText, obj, peer, recorder, signText, staticKeys, staticPeers } from '../inbound/test-fixtures.ts';
import { wrapForHook } from '../protocol/hook.ts';
import type { JsonValue } from '../protocol/json.ts';
import { wireTimestamp } from '../protocol/time.ts';
import { createConversationHarness, type ConversationHarness } from '../testing/conversation-harness.ts';
import type { ConversationMessage } from '../ports/conversation-outbound.ts';

let n = 0;
const nextId = (): string => `msg_5f1c3a9e-7b2d-4e8f-9a6b-${(++n).toString(16).padStart(12, '0')}`;

function setup() {
  const h = createConversationHarness();
  const rec = recorder();
  const pipeline = createInboundPipeline({
    self: 'alpha', store: h.store,
    peers: staticPeers('alpha', [peer('beta', 'hmac'), peer('gamma', 'none'), peer('delta', 'none')]),
    keys: staticKeys({ beta: VECTOR_KEY }), clock: h.clock, events: rec.eventSink, audit: rec.auditSink, logger: rec.logger,
    options: { handOff: false },
  });
  /** Posts the text as a hook body to /hooks/<from> and hands an accepted message to the conversations service. */
  const deliver = (from: string, text: string) => {
    const res = pipeline.handle({ pathSender: from, bodyText: wrapForHook(text), wrapped: true });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.ok(res.envelope && res.plaintextBody !== undefined && res.auth);
    return h.service.onInbound({ envelope: res.envelope, body: res.plaintextBody, auth: res.auth });
  };
  return { h, deliver };
}

/** The replyContext as bash echoes it: jq re-serialises the original's object, keys in order. */
const echoed = (m: ConversationMessage): JsonValue => {
  const rc = m.replyContext as { conversationId: string; participants: string[]; round: number };
  return obj([['conversationId', rc.conversationId], ['participants', rc.participants], ['round', rc.round]]);
};

/** mesh-reply.sh: unsigned, with a nonce; subject defaults to the first 80 bytes of the body. */
function meshReply(h: ConversationHarness, from: string, body: string, o: { correlationId: string | null; replyContext: JsonValue; subject?: string }): string {
  return jqText([
    ['protocol', 'mesh/1.0'], ['id', nextId()], ['timestamp', wireTimestamp(h.clock.now())], ['from', from], ['to', 'alpha'],
    ['type', 'response'], ['correlationId', o.correlationId], ['replyContext', o.replyContext],
    ['nonce', (++n).toString(16).padStart(32, '0')], ['payload', obj([['subject', o.subject ?? body.slice(0, 80)], ['body', body]])],
  ]);
}

/** build_mesh_response: 9 keys, no nonce, bare base64 HMAC signature. */
function buildMeshResponse(h: ConversationHarness, from: string, body: string, o: { correlationId: string; replyContext: JsonValue }): string {
  const text = jqText([
    ['protocol', 'mesh/1.0'], ['id', nextId()], ['timestamp', wireTimestamp(h.clock.now())], ['from', from], ['to', 'alpha'],
    ['type', 'response'], ['correlationId', o.correlationId], ['replyContext', o.replyContext],
    ['payload', obj([['subject', 'Response'], ['body', body]])],
  ]);
  return signText(text, VECTOR_KEY, '');
}

/** mesh-send.sh <agent> response <body> --conversation-id <id>: the 16 keys of §2.1, unsigned. */
function meshSendResponse(h: ConversationHarness, from: string, body: string, conversationId: string): string {
  return jqText([
    ['protocol', 'mesh/1.0'], ['id', nextId()], ['timestamp', wireTimestamp(h.clock.now())], ['from', from], ['to', 'alpha'],
    ['type', 'response'], ['correlationId', null], ['conversationId', conversationId], ['replyTo', null], ['replyContext', null],
    ['session', null], ['priority', 'normal'], ['ttl', 300], ['idempotencyKey', null], ['nonce', (++n).toString(16).padStart(32, '0')],
    ['payload', obj([['subject', body.slice(0, 80)], ['body', body], ['attachments', []], ['metadata', obj([])]])],
  ]);
}

describe('bash-shaped replies correlate', () => {
  test('mesh-reply.sh (correlationId + echoed replyContext, unsigned) and build_mesh_response (bare base64 signature)', async () => {
    const { h, deliver } = setup();
    const r = await h.service.openRally({ question: 'How many rows?', targets: ['beta', 'gamma'] });
    const toBeta = h.outbound.last('beta');
    const toGamma = h.outbound.last('gamma');
    const a = deliver('gamma', meshReply(h, 'gamma', '1260 rows', { correlationId: toGamma.id, replyContext: echoed(toGamma) }));
    assert.deepEqual(a.outcome === 'recorded' && [a.method, a.round, a.counted], ['correlation', 1, true]);
    const b = deliver('beta', buildMeshResponse(h, 'beta', 'Answer: 1,260', { correlationId: toBeta.id, replyContext: echoed(toBeta) }));
    assert.deepEqual(b.outcome === 'recorded' && [b.method, b.conversationStatus], ['correlation', 'complete']);
    const view = h.service.get(r.conversationId);
    assert.deepEqual(view?.rounds[0]?.responses.map((x) => [x.agent, x.auth, x.correlationId]), [
      ['gamma', 'none', toGamma.id], ['beta', 'hmac', toBeta.id],
    ]);
    assert.equal(h.service.consensus(r.conversationId).consensus, 'match');
  });

  test('build_mesh_response answering a copy with another id: by replyContext conversationId + round', async () => {
    const { h, deliver } = setup();
    await h.service.openRally({ question: 'q', targets: ['beta'] });
    const m = h.outbound.last('beta');
    const res = deliver('beta', buildMeshResponse(h, 'beta', 'ok', { correlationId: 'msg_00000000-0000-4000-8000-00000000abcd', replyContext: echoed(m) }));
    assert.deepEqual(res.outcome === 'recorded' && [res.method, res.round], ['reply_context', 1]);
  });

  test('mesh-send.sh response --conversation-id: by conversationId, current round', async () => {
    const { h, deliver } = setup();
    const r = await h.service.openRally({ question: 'q', targets: ['delta'] });
    const res = deliver('delta', meshSendResponse(h, 'delta', 'ok', r.conversationId));
    assert.deepEqual(res.outcome === 'recorded' && [res.method, res.round], ['conversation_id', 1]);
  });

  test('mesh-reply.sh to a message without ids, subject "Re: [conv_…] …": by subject prefix', async () => {
    const { h, deliver } = setup();
    const r = await h.service.openRally({ question: 'q', targets: ['gamma'], subject: 'rows' });
    const res = deliver('gamma', meshReply(h, 'gamma', 'ok', { correlationId: null, replyContext: null, subject: `Re: [${r.conversationId}] rows` }));
    assert.deepEqual(res.outcome === 'recorded' && [res.method, res.round], ['subject', 1]);
  });
});
