import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answerTo, createConversationHarness } from '../testing/conversation-harness.ts';

describe('requestUndeliverable: the outbox gave up on a request after its first attempt', () => {
  test('the round stops waiting for that agent and completes with the others', async () => {
    const h = createConversationHarness();
    h.outbound.outcomes.set('beta', { status: 'queued', error: 'http_503' });
    const res = await h.service.openRally({ question: 'q', targets: ['beta', 'gamma'] });
    h.receive(answerTo(h.outbound.last('gamma'), '42'));
    assert.equal(h.service.get(res.conversationId)?.rounds[0]?.status, 'partial', 'still waiting for beta');

    assert.equal(h.service.requestUndeliverable(h.outbound.last('beta').id, 'dead_lettered', 'all_retries_exhausted'), false);
    const view = h.service.get(res.conversationId);
    assert.deepEqual(view?.rounds[0]?.expected, ['gamma']);
    assert.equal(view?.rounds[0]?.status, 'complete');
    assert.equal(view?.conversation.status, 'complete');
    assert.equal(view?.rounds[0]?.requests.find((q) => q.agent === 'beta')?.delivery, 'dead_lettered');
  });

  test('nobody left: the round times out; an escalation level given up on asks the next level', async () => {
    const h = createConversationHarness();
    h.outbound.outcomes.set('beta', { status: 'queued' });
    const rally = await h.service.openRally({ question: 'q', targets: ['beta'] });
    h.service.requestUndeliverable(h.outbound.last('beta').id, 'expired');
    assert.equal(h.service.get(rally.conversationId)?.conversation.status, 'timeout');

    const esc = await h.service.converse('escalation', { question: 'disk full on db1', targets: ['beta', 'gamma'] });
    assert.equal(h.service.requestUndeliverable(h.outbound.last('beta').id, 'dead_lettered', 'client_error_404'), true, 'the next level is due');
    await h.service.tick();
    assert.equal(h.outbound.to('gamma').length, 1, 'gamma, the next level, was asked');
    assert.equal(h.service.get(esc.conversationId)?.conversation.currentRound, 2);
  });

  test('an id that is not a conversation request changes nothing', () => {
    const h = createConversationHarness();
    assert.equal(h.service.requestUndeliverable('msg_00000000-0000-4000-8000-000000000000', 'dead_lettered'), false);
    assert.deepEqual(h.events, []);
  });
});
