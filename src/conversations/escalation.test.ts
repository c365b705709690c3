import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { answerTo, createConversationHarness } from '../testing/conversation-harness.ts';
import { contextEnd } from './context-block.ts';
import { asksToEscalate } from './framing.ts';

const LEVEL_MS = 600_000;

async function escalate(chain = ['beta', 'gamma', 'delta']) {
  const h = createConversationHarness();
  const r = await h.service.converse('escalation', { question: 'Disk full on db-7', targets: chain });
  return { h, id: r.conversationId, r };
}

describe('escalation convention', () => {
  test('ESCALATE or CANNOT RESOLVE at the start, any case, pass it on; anything else resolves', () => {
    for (const b of ['ESCALATE', 'escalate: not my area', '  Cannot resolve this', 'CANNOT_RESOLVE', 'Escalate.']) assert.ok(asksToEscalate(b), b);
    for (const b of ['Fixed it', 'I will not escalate', 'escalated already, fixed', 'Escalates', 'cannot resolver']) assert.ok(!asksToEscalate(b), b);
  });
});

describe('escalation', () => {
  test('asks only the first level, with high priority, framing and its own time-out', async () => {
    const { h, id, r } = await escalate();
    assert.deepEqual(h.outbound.sent.map((m) => m.target), ['beta']);
    const m = h.outbound.last('beta');
    assert.equal(m.priority, 'high');
    assert.equal(m.ttlSeconds, 600);
    assert.match(m.body, /^\[ESCALATION\] Disk full on db-7\n\n.*level 1 of 3 \(chain: beta → gamma → delta\)/);
    assert.match(m.body, /answer starting with ESCALATE \(or CANNOT RESOLVE\) and it goes to gamma/);
    assert.equal(r.deadline, h.clock.now() + LEVEL_MS);
    const view = h.service.get(id);
    assert.deepEqual(view?.conversation.participants, ['beta', 'gamma', 'delta']);
    assert.deepEqual(view?.conversation.escalationChain, ['beta', 'gamma', 'delta']);
    assert.deepEqual(view?.rounds.map((x) => x.expected), [['beta']]);
  });

  test('a level that times out passes it on at tick; the next level sees the earlier rounds; each level has its own time-out', async () => {
    const { h, id } = await escalate();
    h.clock.advance(LEVEL_MS - 1);
    assert.deepEqual((await h.service.tick()).escalated, []);
    assert.equal(h.outbound.sent.length, 1);
    h.clock.advance(1);
    const t1 = await h.service.tick();
    assert.deepEqual(t1.roundsTimedOut, [{ conversationId: id, round: 1, answered: 0, expected: 1 }]);
    assert.deepEqual(t1.conversationsTimedOut, []);
    assert.deepEqual(t1.escalated, [{ conversationId: id, round: 2, agent: 'gamma', status: 'delivered' }]);
    const toGamma = h.outbound.last('gamma');
    assert.match(toGamma.body, /── Round 1 \(timeout, 0 of 1 answered\) ──/);
    assert.match(toGamma.body, /No answer from: beta/);
    assert.match(toGamma.body, /── Round 2 \(current\) ──\n\[ESCALATION\] Disk full on db-7\n\n.*level 2 of 3/);
    assert.deepEqual(toGamma.replyContext, { conversationId: id, participants: ['gamma'], round: 2 });
    assert.equal(h.service.get(id)?.conversation.deadline, h.clock.now() + LEVEL_MS);
    h.clock.advance(LEVEL_MS);
    const t2 = await h.service.tick();
    assert.deepEqual(t2.escalated.map((s) => s.agent), ['delta']);
    h.clock.advance(LEVEL_MS);
    const t3 = await h.service.tick();
    assert.deepEqual(t3.escalated, []);
    assert.deepEqual(t3.conversationsTimedOut, [id]);
    const view = h.service.get(id);
    assert.equal(view?.conversation.status, 'timeout');
    assert.deepEqual(view?.rounds.map((x) => [x.round, x.expected[0], x.status]), [[1, 'beta', 'timeout'], [2, 'gamma', 'timeout'], [3, 'delta', 'timeout']]);
    assert.deepEqual(h.outbound.sent.map((m) => m.target), ['beta', 'gamma', 'delta'], 'in chain order, once each');
  });

  test('an ESCALATE answer passes it on (at the next tick, or at once via tick); the answer is in the context', async () => {
    const { h, id } = await escalate();
    const res = h.receive(answerTo(h.outbound.last('beta'), 'ESCALATE: needs a DBA'));
    assert.ok(res.outcome === 'recorded' && res.escalationPending);
    assert.equal(res.outcome === 'recorded' && res.conversationStatus, 'active');
    assert.equal(h.service.nextDueAt(), h.clock.now(), 'due now');
    const t = await h.service.tick();
    assert.deepEqual(t.escalated.map((s) => [s.round, s.agent]), [[2, 'gamma']]);
    assert.match(h.outbound.last('gamma').body, /beta answered:\n {2}│ ESCALATE: needs a DBA/);
    assert.deepEqual((await h.service.tick()).escalated, [], 'a level is asked once');
    const fixed = h.receive(answerTo(h.outbound.last('gamma'), 'Rotated the logs, 40% free'));
    assert.ok(fixed.outcome === 'recorded' && !fixed.escalationPending);
    const view = h.service.get(id);
    assert.equal(view?.conversation.status, 'complete');
    assert.equal(view?.conversation.statusReason, 'resolved at level 2 by gamma');
    assert.equal(h.outbound.to('delta').length, 0, 'the last level is never bothered');
  });

  test('the last level answering ESCALATE leaves it unresolved (closed)', async () => {
    const { h, id } = await escalate(['beta']);
    const res = h.receive(answerTo(h.outbound.last('beta'), 'cannot resolve'));
    assert.ok(res.outcome === 'recorded' && !res.escalationPending);
    assert.equal(h.service.get(id)?.conversation.status, 'closed');
    assert.match(h.service.get(id)?.conversation.statusReason ?? '', /unresolved/);
  });

  test('a level that cannot be reached is skipped at once', async () => {
    const h = createConversationHarness();
    h.outbound.outcomes.set('beta', { status: 'dead_lettered', error: 'client_error_404' });
    const r = await h.service.converse('escalation', { question: 'help', targets: ['beta', 'gamma'] });
    assert.deepEqual(r.escalatedTo, [{ conversationId: r.conversationId, round: 2, agent: 'gamma', status: 'delivered' }]);
    assert.match(h.outbound.last('gamma').body, /── Round 1 \(timeout, 0 of 0 answered\) ──/);
    assert.ok(h.outbound.last('gamma').body.indexOf(contextEnd(r.conversationId)) > 0);
  });

  test('an answer from a later level before it was asked is kept, not counted', async () => {
    const { h, id } = await escalate();
    const early = h.receive(answerTo({ ...h.outbound.last('beta'), target: 'gamma' }, 'I can take it'));
    assert.equal(early.outcome, 'not_expected');
    assert.equal(h.service.get(id)?.rounds[0]?.status, 'pending');
  });
});
