import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answerTo, createConversationHarness, fromPeer, type ConversationHarness } from '../testing/conversation-harness.ts';
import type { ResponseResult } from './inbound-types.ts';

async function rally(h: ConversationHarness, targets = ['beta', 'gamma', 'delta'], quorum?: number) {
  const r = await h.service.openRally({ question: 'How many?', targets, subject: 'count', ...(quorum === undefined ? {} : { quorum }) });
  return r.conversationId;
}

const asResponse = (r: ReturnType<ConversationHarness['receive']>): ResponseResult => {
  assert.ok('counted' in r, `expected a response result, got ${r.outcome}`);
  return r;
};

describe('correlation: the four ways a response finds its round', () => {
  test('1. correlationId (the request map) wins over everything else', async () => {
    const h = createConversationHarness();
    const id = await rally(h);
    const other = await rally(h);
    const req = h.outbound.to('beta')[0]!;
    const env = answerTo(req, '7', {
      conversationId: other, replyContext: { conversationId: other, round: 1 }, subject: `[${other}] misleading`,
    });
    const r = asResponse(h.receive(env));
    assert.deepEqual([r.outcome, r.conversationId, r.round, r.method, r.counted], ['recorded', id, 1, 'correlation', true]);
  });

  test('2. replyContext conversationId + round (a reply with an unknown correlationId)', async () => {
    const h = createConversationHarness();
    const id = await rally(h);
    await h.service.openRally({ question: 'next', targets: ['beta'], conversationId: id });
    const env = fromPeer('gamma', {
      type: 'response', body: 'round one answer', correlationId: 'msg_00000000-0000-4000-8000-ffffffffffff',
      replyContext: { conversationId: id, participants: ['beta', 'gamma', 'delta'], round: 1 },
    });
    const r = asResponse(h.receive(env));
    assert.deepEqual([r.conversationId, r.round, r.method], [id, 1, 'reply_context']);
    assert.equal(r.outcome, 'late', 'round 1 was superseded by round 2');
  });

  test('a replyContext round given as text is read; a nonsense round falls back to the current round', async () => {
    const h = createConversationHarness();
    const id = await rally(h);
    const text = asResponse(h.receive(fromPeer('beta', { type: 'response', body: 'x', replyContext: { conversationId: id, round: '1' } })));
    assert.deepEqual([text.round, text.method], [1, 'reply_context']);
    const junk = asResponse(h.receive(fromPeer('gamma', { type: 'response', body: 'y', replyContext: { conversationId: id, round: -3 } })));
    assert.deepEqual([junk.round, junk.method], [1, 'conversation_id']);
  });

  test('3. envelope conversationId: the current round', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta']);
    await h.service.openRally({ question: 'next', targets: ['beta'], conversationId: id });
    const r = asResponse(h.receive(fromPeer('beta', { type: 'response', body: 'hi', conversationId: id })));
    assert.deepEqual([r.round, r.method, r.outcome], [2, 'conversation_id', 'recorded']);
  });

  test('4. a [conv_…] subject prefix (after Re:): the current round', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta']);
    const r = asResponse(h.receive(fromPeer('beta', { type: 'response', body: 'hi', subject: `Re: [${id}] count` })));
    assert.deepEqual([r.round, r.method, r.outcome, r.conversationStatus], [1, 'subject', 'recorded', 'complete']);
  });

  test('nothing that names a conversation of ours: no_conversation or ignored, and nothing stored', async () => {
    const h = createConversationHarness();
    await rally(h);
    const before = h.events.length;
    assert.deepEqual(h.receive(fromPeer('beta', { type: 'response', body: 'x', conversationId: 'conv_1_00000000' })).outcome, 'no_conversation');
    assert.deepEqual(h.receive(fromPeer('beta', { type: 'response', body: 'x', subject: '[conv_1_0000000g] x' })).outcome, 'ignored');
    assert.deepEqual(h.receive(fromPeer('beta', { type: 'response', body: 'x', correlationId: 'msg_unknown' })).outcome, 'ignored');
    assert.deepEqual(h.receive(fromPeer('beta', { type: 'alert', body: 'x' })).outcome, 'ignored');
    assert.equal(h.events.length, before);
  });

  test('a response naming a conversation this node only takes part in is not recorded there', async () => {
    const h = createConversationHarness();
    const cid = 'conv_1767225600_00000001';
    h.receive(fromPeer('beta', { type: 'request', body: 'q', conversationId: cid, replyContext: { conversationId: cid, participants: ['alpha', 'gamma'], round: 1 } }));
    const r = h.receive(fromPeer('gamma', { type: 'response', body: 'x', conversationId: cid }));
    assert.equal(r.outcome, 'no_conversation');
    assert.deepEqual(h.service.get(cid)?.rounds[0]?.responses, []);
  });
});

describe('correlation: who counts', () => {
  test('a duplicate response from the same participant is kept but counts once', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta', 'gamma']);
    const req = h.outbound.last('beta');
    assert.equal(h.receive(answerTo(req, '10')).outcome, 'recorded');
    const again = asResponse(h.receive(answerTo(req, '11, changed my mind')));
    assert.deepEqual([again.outcome, again.counted, again.fromParticipant, again.roundStatus], ['duplicate', false, true, 'partial']);
    const round = h.service.get(id)?.rounds[0];
    assert.deepEqual(round?.responses.map((x) => [x.body, x.counted]), [['10', true], ['11, changed my mind', false]]);
    assert.deepEqual(round?.answered, ['beta']);
    assert.equal(h.service.get(id)?.conversation.status, 'active', 'two answers from one agent do not complete a round of two');
    assert.deepEqual(h.service.consensus(id).values, ['10.0']);
  });

  test('the same envelope delivered twice is recorded once', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta', 'gamma']);
    const env = answerTo(h.outbound.last('beta'), '10');
    h.receive(env);
    const events = h.events.length;
    assert.deepEqual(h.receive(env), { outcome: 'already_recorded', conversationId: id, round: 1, responseId: env.id });
    assert.equal(h.events.length, events);
    assert.equal(h.service.get(id)?.rounds[0]?.responses.length, 1);
  });

  test('a response from a non-participant is recorded, flagged, and not counted', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta']);
    const r = asResponse(h.receive(fromPeer('mallory', { type: 'response', body: '999', conversationId: id }), 'none'));
    assert.deepEqual([r.outcome, r.counted, r.fromParticipant, r.roundStatus], ['flagged', false, false, 'pending']);
    const stored = h.service.get(id)?.rounds[0]?.responses[0];
    assert.deepEqual([stored?.agent, stored?.body, stored?.auth, stored?.fromParticipant, stored?.counted], ['mallory', '999', 'none', false, false]);
    assert.equal(h.audit.at(-1)?.status, 'conv_response');
    assert.match(h.audit.at(-1)?.detail ?? '', /^flagged: round 1, via conversation_id, auth=none/);
    assert.deepEqual(h.eventsOf('response.received').at(-1), {
      type: 'response.received', conversationId: id, round: 1, from: 'mallory', responseId: stored?.id, outcome: 'flagged',
      counted: false, fromParticipant: false, method: 'conversation_id',
    });
  });

  test('the round completes when every expected participant answered; events and audit follow', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta', 'gamma']);
    const first = asResponse(h.receive(answerTo(h.outbound.last('beta'), '1')));
    assert.deepEqual([first.roundStatus, first.conversationStatus], ['partial', 'active']);
    const second = asResponse(h.receive(answerTo(h.outbound.last('gamma'), '1')));
    assert.deepEqual([second.roundStatus, second.conversationStatus], ['complete', 'complete']);
    assert.deepEqual(h.eventsOf('round.closed'), [{ type: 'round.closed', conversationId: id, round: 1, status: 'complete', answered: 2, expected: 2 }]);
    assert.deepEqual(h.eventsOf('conversation.status'), [{ type: 'conversation.status', conversationId: id, status: 'complete', reason: 'round 1: all 2 answered' }]);
    assert.ok(h.audit.some((a) => a.status === 'conv_round_closed' && a.conversationId === id));
  });

  test('quorum: the round completes at k answers; later answers of expected agents still count', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta', 'gamma', 'delta'], 2);
    assert.equal(asResponse(h.receive(answerTo(h.outbound.last('beta'), '5'))).roundStatus, 'partial');
    const second = asResponse(h.receive(answerTo(h.outbound.last('gamma'), '5')));
    assert.deepEqual([second.roundStatus, second.conversationStatus], ['complete', 'complete']);
    assert.match(h.service.get(id)?.conversation.statusReason ?? '', /quorum of 2 reached \(2 of 3\)/);
    const third = asResponse(h.receive(answerTo(h.outbound.last('delta'), '6')));
    assert.deepEqual([third.outcome, third.counted], ['recorded', true]);
    assert.deepEqual(h.service.consensus(id).agents, ['beta', 'gamma', 'delta']);
    assert.equal(h.eventsOf('round.closed').length, 1);
  });

  test('a participant the round does not wait for is kept as not_expected', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta', 'gamma']);
    await h.service.openRally({ question: 'only beta', targets: ['beta'], conversationId: id });
    const r = asResponse(h.receive(fromPeer('gamma', { type: 'response', body: 'me too', conversationId: id })));
    assert.deepEqual([r.outcome, r.round, r.counted, r.fromParticipant], ['not_expected', 2, false, true]);
  });

  test('answers to a closed or cancelled conversation are late', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta', 'gamma']);
    h.service.close(id, 'enough');
    assert.equal(h.receive(answerTo(h.outbound.last('beta'), '1')).outcome, 'late');
  });

  test('consensus looks at the counted answers of the last closed round', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta', 'gamma', 'delta']);
    h.receive(answerTo(h.outbound.last('beta'), 'Answer: 100'));
    h.receive(answerTo(h.outbound.last('gamma'), '103'));
    h.receive(answerTo(h.outbound.last('delta'), 'result: 100'));
    h.receive(fromPeer('mallory', { type: 'response', body: '5000', conversationId: id }));
    await h.service.openRally({ question: 'next', targets: ['beta'], conversationId: id });
    const c = h.service.consensus(id);
    assert.deepEqual([c.conversationId, c.round, c.consensus, c.discrepancy], [id, 1, 'close', 2.97]);
    assert.deepEqual(c.dissenters, ['gamma']);
    assert.deepEqual(h.service.consensus(id, { round: 2 }).consensus, 'no_data');
    assert.throws(() => h.service.consensus(id, { round: 7 }), /no round 7/);
  });
});

describe('onInbound inside the pipeline transaction', () => {
  test('a failure undoes only the conversation part; the message itself stays accepted', async () => {
    const h = createConversationHarness();
    const id = await rally(h, ['beta']);
    const seqBefore = h.store.events.latestSeq();
    const repo = h.store.conversations;
    repo.update = () => {
      throw new Error('disk trouble');
    };
    const env = answerTo(h.outbound.last('beta'), '42');
    const result = h.store.transaction(() => {
      h.store.kv.set('accepted', env.id, h.clock.now());
      return h.receive(env);
    });
    assert.deepEqual(result, { outcome: 'ignored', reason: 'internal error' });
    assert.equal(h.store.kv.get('accepted'), env.id, 'the outer transaction committed');
    assert.equal(repo.response(env.id), null, 'the response row was rolled back');
    assert.deepEqual(h.store.events.after(seqBefore), [], 'and its events with it');
    assert.deepEqual(h.errors, ['conversations: inbound message not recorded']);
    assert.equal(repo.get(id)?.status, 'active');
  });
});
