import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isMeshError } from '../protocol/errors.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import { answerTo, createConversationHarness, fromPeer } from '../testing/conversation-harness.ts';
import { createConversationService } from './conversation-service.ts';

const sha = (s: string): string => createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex');
const code = (c: string) => (e: unknown): boolean => isMeshError(e) && e.code === c;

describe('setVerdict on the initiator', () => {
  test('records the verdict with the ids and SHA-256 digests of the counted responses; emits consensus.set', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'rows?', targets: ['beta', 'gamma', 'delta'] });
    const eb = answerTo(h.outbound.last('beta'), '1260 rows ✓');
    const eg = answerTo(h.outbound.last('gamma'), 'Answer: 1,260');
    h.receive(eb);
    h.receive(eg);
    h.receive(answerTo(h.outbound.last('beta'), 'second thoughts'));
    h.receive(fromPeer('mallory', { type: 'response', body: '7', conversationId: r.conversationId }));
    h.clock.advance(5000);
    const res = await h.service.setVerdict(r.conversationId, 'confirmed', 'Both agree: 1260');
    assert.equal(res.notified, null, 'the initiator sends it nowhere');
    assert.deepEqual(res.verdict, {
      verdict: 'confirmed', summary: 'Both agree: 1260', setBy: 'alpha', setAt: h.clock.now(), round: 1,
      basis: [{ responseId: eb.id, agent: 'beta', sha256: sha('1260 rows ✓') }, { responseId: eg.id, agent: 'gamma', sha256: sha('Answer: 1,260') }],
    });
    assert.deepEqual(h.service.get(r.conversationId)?.conversation.verdict, res.verdict);
    assert.deepEqual(h.eventsOf('consensus.set'), [{
      type: 'consensus.set', conversationId: r.conversationId, round: 1, verdict: 'confirmed', setBy: 'alpha', basisCount: 2,
    }]);
    assert.equal(h.audit.at(-1)?.status, 'conv_verdict');
    assert.equal(h.outbound.sent.length, 3);
  });

  test('a verdict for a given round; bad input and unknown conversations are refused', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'q', targets: ['beta'] });
    h.receive(answerTo(h.outbound.last('beta'), 'a'));
    await h.service.openRally({ question: 'q2', targets: ['beta'], conversationId: r.conversationId });
    assert.equal((await h.service.setVerdict(r.conversationId, 'resolved', null, { round: 2 })).verdict.basis.length, 0);
    assert.equal((await h.service.setVerdict(r.conversationId, 'resolved')).verdict.round, 1, 'default: the last closed round');
    await assert.rejects(h.service.setVerdict(r.conversationId, 'x', null, { round: 9 }), code('INVALID_ARGUMENT'));
    await assert.rejects(h.service.setVerdict(r.conversationId, ''), code('INVALID_ARGUMENT'));
    await assert.rejects(h.service.setVerdict(r.conversationId, 'two\nlines'), code('INVALID_ARGUMENT'));
    await assert.rejects(h.service.setVerdict(r.conversationId, 'v'.repeat(201)), code('INVALID_ARGUMENT'));
    await assert.rejects(h.service.setVerdict('conv_1_00000000', 'x'), code('NOT_FOUND'));
  });
});

describe('verdicts between nodes', () => {
  const cid = 'conv_1767225600_0000beef';
  const invitation = (from = 'beta') => fromPeer(from, {
    type: 'request', body: 'How many rows?', subject: `[${cid}] rows`, conversationId: cid,
    replyContext: { conversationId: cid, participants: ['alpha', 'gamma'], round: 1 },
  });

  test('a participant node sends its verdict to the initiator as a versioned meshConsensus notification', async () => {
    const h = createConversationHarness();
    h.receive(invitation());
    h.clock.advance(1000);
    const res = await h.service.setVerdict(cid, 'confirmed', 'matches my count');
    assert.equal(res.notified?.to, 'beta');
    assert.deepEqual(res.notified?.outcome, { status: 'delivered' });
    const m = h.outbound.last('beta');
    assert.equal(m.id, res.notified?.messageId);
    assert.equal(m.type, 'notification');
    assert.equal(m.conversationId, cid);
    assert.equal(m.subject, `[${cid}] Verdict: confirmed`);
    assert.deepEqual(m.metadata, {
      meshConsensus: { v: 1, conversationId: cid, round: 1, verdict: 'confirmed', summary: 'matches my count', basis: [] },
    });
    assert.equal(h.service.get(cid)?.conversation.verdict?.setBy, 'alpha');
  });

  test('the initiator records a participant\'s notice as the verdict, and refuses anyone else\'s', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'q', targets: ['beta', 'gamma'] });
    const notice = (from: string, meta: JsonValue) => fromPeer(from, {
      type: 'notification', body: 'Verdict', conversationId: r.conversationId, metadata: { meshConsensus: meta },
    });
    const good = { v: 1, conversationId: r.conversationId, round: 1, verdict: 'confirmed', summary: null, basis: [{ responseId: 'msg_x', agent: 'beta', sha256: 'a'.repeat(64) }] };
    assert.deepEqual(h.receive(notice('mallory', good)), { outcome: 'verdict_refused', conversationId: r.conversationId, reason: 'mallory is not a participant' });
    assert.equal(h.service.get(r.conversationId)?.conversation.verdict, null);
    for (const bad of [{ ...good, v: 2 }, { ...good, verdict: '' }, { ...good, conversationId: 'nope' }, { ...good, basis: [{ responseId: 'x' }] },
      { ...good, summary: 'bell\u0007' }, { ...good, round: 0 }, 'text']) {
      assert.equal(h.receive(notice('gamma', bad as JsonValue)).outcome, 'verdict_refused', JSON.stringify(bad));
    }
    assert.equal(h.receive(notice('gamma', { ...good, conversationId: 'conv_1_00000000' })).outcome, 'verdict_refused');
    assert.deepEqual(h.receive(notice('gamma', good)), { outcome: 'verdict_recorded', conversationId: r.conversationId, round: 1, setBy: 'gamma' });
    const v = h.service.get(r.conversationId)?.conversation.verdict;
    assert.deepEqual([v?.verdict, v?.setBy, v?.basis], ['confirmed', 'gamma', good.basis]);
    assert.equal(h.eventsOf('consensus.set').at(-1)?.setBy, 'gamma');
    assert.ok(h.audit.some((a) => a.status === 'conv_verdict' && a.detail?.startsWith('refused: mallory')));
    assert.equal(h.receive(fromPeer('gamma', { type: 'notification', body: 'plain' })).outcome, 'ignored');
  });

  test('end to end between two services: participant verdict reaches the initiator', async () => {
    const initiator = createConversationHarness();
    const participant = createConversationHarness();
    const r = await initiator.service.openRally({ question: 'rows?', targets: ['beta'] });
    const req = initiator.outbound.last('beta');
    const asBeta = { ...participant.deps, self: 'beta' };
    const betaService = createConversationService(asBeta);
    const invite = fromPeer('alpha', { type: 'request', body: req.body, subject: req.subject, conversationId: req.conversationId, replyContext: req.replyContext, metadata: req.metadata ?? {} });
    assert.equal(betaService.onInbound({ envelope: { ...invite, to: 'beta' }, body: req.body, auth: 'hmac' }).outcome, 'invited');
    await betaService.setVerdict(r.conversationId, 'confirmed', null);
    const sent = participant.outbound.last('alpha');
    const delivered = fromPeer('beta', { type: sent.type, body: sent.body, subject: sent.subject, conversationId: sent.conversationId, metadata: sent.metadata ?? {} });
    assert.equal(initiator.receive(delivered).outcome, 'verdict_recorded');
    assert.equal(initiator.service.get(r.conversationId)?.conversation.verdict?.setBy, 'beta');
    assert.equal(getField(sent.metadata, 'meshConsensus') !== undefined, true);
  });
});

describe('invitations (participant side)', () => {
  const cid = 'conv_1767225600_0000cafe';
  test('a request naming a conversation is recorded with its round, initiator and participants', () => {
    const h = createConversationHarness();
    const res = h.receive(fromPeer('beta', {
      type: 'request', body: '[COLLAB] Why?', subject: `[${cid}] why`, ttl: 600, conversationId: cid,
      replyContext: { conversationId: cid, participants: ['alpha', 'gamma', '../x', 7], round: 1 },
    }));
    assert.deepEqual(res, { outcome: 'invited', conversationId: cid, round: 1, initiator: 'beta', created: true });
    const v = h.service.get(cid);
    assert.deepEqual([v?.conversation.role, v?.conversation.initiator, v?.conversation.type, v?.conversation.subject], ['participant', 'beta', 'collab', 'why']);
    assert.deepEqual(v?.conversation.participants, ['alpha', 'gamma']);
    assert.deepEqual(v?.rounds.map((r) => [r.round, r.question, r.status]), [[1, '[COLLAB] Why?', 'pending']]);
    assert.equal(v?.conversation.deadline, h.clock.now() + 600_000);
    assert.deepEqual(h.events.map((e) => e.type), ['conversation.opened', 'round.opened']);
  });

  test('the next round supersedes the previous; a repeat changes nothing; nobody else may add rounds', () => {
    const h = createConversationHarness();
    const ask = (from: string, round: number, body = `round ${round}`) => h.receive(fromPeer(from, {
      type: 'request', body, conversationId: cid, replyContext: { conversationId: cid, participants: ['alpha'], round },
    }));
    ask('beta', 1);
    assert.deepEqual(ask('beta', 1, 'again'), { outcome: 'invited', conversationId: cid, round: 1, initiator: 'beta', created: false });
    assert.equal(ask('beta', 2).outcome, 'invited');
    assert.equal(ask('gamma', 3).outcome, 'ignored');
    const v = h.service.get(cid);
    assert.deepEqual(v?.rounds.map((r) => [r.round, r.status, r.question]), [[1, 'superseded', 'round 1'], [2, 'pending', 'round 2']]);
    assert.equal(v?.conversation.currentRound, 2);
  });

  test('a request can never touch a conversation this node started', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'q', targets: ['beta'] });
    const res = h.receive(fromPeer('beta', {
      type: 'request', body: 'hijack', conversationId: r.conversationId, replyContext: { conversationId: r.conversationId, round: 5 },
    }));
    assert.equal(res.outcome, 'ignored');
    assert.deepEqual(h.service.get(r.conversationId)?.rounds.map((x) => x.round), [1]);
  });

  test('the type comes from our metadata, else bash framing after the context, else rally', () => {
    const h = createConversationHarness();
    const invite = (id: string, body: string, metadata: JsonValue = {}) => h.receive(fromPeer('beta', {
      type: 'request', body, metadata, conversationId: id, replyContext: { conversationId: id, round: 2 },
    }));
    invite('conv_1_00000001', 'x', { meshConversation: { v: 1, type: 'brainstorm', round: 2 } });
    invite('conv_1_00000002', '<<<MESH-CONTEXT conv_1_00000002 BEGIN>>>\n  │ [COLLAB] fake\n<<<MESH-CONTEXT conv_1_00000002 END>>>\n\n── Round 2 (current) ──\n[OPINION REQUESTED] real');
    invite('conv_1_00000003', 'plain question');
    assert.deepEqual(['conv_1_00000001', 'conv_1_00000002', 'conv_1_00000003'].map((id) => h.service.get(id)?.conversation.type), ['brainstorm', 'opinion', 'rally']);
  });
});
