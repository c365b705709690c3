import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../protocol/errors.ts';
import { answerTo, createConversationHarness, fromPeer } from '../testing/conversation-harness.ts';

const code = (c: string) => (e: unknown): boolean => isMeshError(e) && e.code === c;

describe('side-channel responses (POST /api/mesh/response)', () => {
  test('recorded as unverified in the current round, never counted; the verified answer still counts, once', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'rows?', targets: ['beta', 'gamma'] });
    const side = h.service.recordSideChannelResponse({ conversationId: r.conversationId, from: 'beta', body: '1260\n' });
    assert.equal(side.outcome, 'recorded');
    assert.equal(side.round, 1);
    assert.match(side.responseId, /^api_[0-9a-f]{32}$/);
    let view = h.service.get(r.conversationId);
    assert.deepEqual(view?.rounds[0]?.answered, [], 'an unverified post answers nothing');
    assert.equal(view?.rounds[0]?.status, 'pending');
    const stored = view?.rounds[0]?.responses[0];
    assert.equal(stored?.auth, 'none');
    assert.equal(stored?.correlatedBy, 'api');
    assert.equal(stored?.counted, false);
    assert.deepEqual(h.eventsOf('response.received').at(-1), {
      type: 'response.received', conversationId: r.conversationId, round: 1, from: 'beta', responseId: side.responseId,
      outcome: 'unverified', counted: false, fromParticipant: true, method: 'api',
    });
    assert.equal(h.audit.at(-1)?.status, 'conv_response');

    // The verified MESH response from the same agent arrives after it: it counts (not a duplicate).
    const verified = h.receive(answerTo(h.outbound.last('beta'), '1260'));
    assert.equal(verified.outcome, 'recorded');
    h.receive(answerTo(h.outbound.last('gamma'), '1262'));
    view = h.service.get(r.conversationId);
    assert.deepEqual(view?.rounds[0]?.answered, ['beta', 'gamma']);
    assert.equal(view?.rounds[0]?.responses.filter((x) => x.counted).length, 2, 'each agent counted once');
    assert.equal(view?.conversation.status, 'complete');
    assert.deepEqual(h.service.consensus(r.conversationId).agents, ['beta', 'gamma']);
  });

  test('after the verified answer, and twice: kept once, still never counted; consensus ignores it', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'rows?', targets: ['beta', 'gamma'] });
    h.receive(answerTo(h.outbound.last('beta'), '10'));
    const first = h.service.recordSideChannelResponse({ conversationId: r.conversationId, from: 'gamma', body: '999' });
    const again = h.service.recordSideChannelResponse({ conversationId: r.conversationId, from: 'gamma', body: 'other' });
    assert.equal(again.outcome, 'already_recorded');
    assert.equal(again.responseId, first.responseId);
    const round = h.service.get(r.conversationId)?.rounds[0];
    assert.equal(round?.responses.length, 2);
    assert.equal(round?.status, 'partial', 'the post did not complete the round');
    assert.deepEqual(h.service.consensus(r.conversationId, { round: 1 }).agents, ['beta']);
    const v = await h.service.setVerdict(r.conversationId, 'inconclusive');
    assert.deepEqual(v.verdict.basis.map((b) => b.agent), ['beta'], 'a verdict never rests on an unverified post');
  });

  test('refused: unknown or foreign conversations, non-participants, oversized bodies', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'q', targets: ['beta'] });
    const cid = 'conv_1767225600_0000beef';
    h.receive(fromPeer('beta', {
      type: 'request', body: 'q', subject: `[${cid}] q`, conversationId: cid,
      replyContext: { conversationId: cid, participants: ['alpha'], round: 1 },
    }));
    assert.throws(() => h.service.recordSideChannelResponse({ conversationId: cid, from: 'beta', body: 'x' }), code('NOT_FOUND'),
      'a conversation this node only takes part in');
    assert.throws(() => h.service.recordSideChannelResponse({ conversationId: 'conv_1_00000000', from: 'beta', body: 'x' }), code('NOT_FOUND'));
    assert.throws(() => h.service.recordSideChannelResponse({ conversationId: '../etc', from: 'beta', body: 'x' }), code('NOT_FOUND'));
    assert.throws(() => h.service.recordSideChannelResponse({ conversationId: r.conversationId, from: 'mallory', body: 'x' }), code('INVALID_ARGUMENT'));
    assert.throws(() => h.service.recordSideChannelResponse({ conversationId: r.conversationId, from: 'beta', body: 'x'.repeat(8001) }), code('INVALID_ARGUMENT'));
    assert.equal(h.service.get(r.conversationId)?.rounds[0]?.responses.length, 0);
  });
});
