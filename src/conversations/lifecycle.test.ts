import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../protocol/errors.ts';
import { answerTo, createConversationHarness, fromPeer } from '../testing/conversation-harness.ts';

const DAY = 86_400_000;
const code = (c: string) => (e: unknown): boolean => isMeshError(e) && e.code === c;

describe('lifecycle: time-outs (manual clock)', () => {
  test('a round past its deadline closes as timeout with the answers it got; the conversation times out', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'q', targets: ['beta', 'gamma', 'delta'], ttlSeconds: 60 });
    h.receive(answerTo(h.outbound.last('beta'), '10'));
    h.receive(answerTo(h.outbound.last('gamma'), '10'));
    assert.equal(h.service.nextDueAt(), r.deadline);
    h.clock.advance(59_999);
    assert.deepEqual(await h.service.tick(), { roundsTimedOut: [], conversationsTimedOut: [], escalated: [] });
    h.clock.advance(1);
    const t = await h.service.tick();
    assert.deepEqual(t.roundsTimedOut, [{ conversationId: r.conversationId, round: 1, answered: 2, expected: 3 }]);
    assert.deepEqual(t.conversationsTimedOut, [r.conversationId]);
    const view = h.service.get(r.conversationId);
    assert.equal(view?.rounds[0]?.status, 'timeout');
    assert.equal(view?.rounds[0]?.closedAt, h.clock.now());
    assert.deepEqual(view?.rounds[0]?.answered, ['beta', 'gamma']);
    assert.deepEqual(view?.rounds[0]?.missing, ['delta']);
    assert.equal(view?.conversation.status, 'timeout');
    assert.equal(view?.conversation.statusReason, 'round 1 timed out with 2 of 3 answers');
    assert.equal(h.service.consensus(r.conversationId).consensus, 'match', 'the answers it got still count');
    assert.deepEqual(h.eventsOf('round.closed').at(-1), { type: 'round.closed', conversationId: r.conversationId, round: 1, status: 'timeout', answered: 2, expected: 3 });
    assert.equal(h.service.nextDueAt(), null);
    assert.equal(h.receive(answerTo(h.outbound.last('delta'), '11')).outcome, 'late');
    assert.deepEqual((await h.service.tick()).roundsTimedOut, [], 'idempotent');
  });

  test('a complete conversation is left alone by tick', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'q', targets: ['beta'] });
    h.receive(answerTo(h.outbound.last('beta'), 'x'));
    h.clock.advance(DAY);
    assert.deepEqual(await h.service.tick(), { roundsTimedOut: [], conversationsTimedOut: [], escalated: [] });
    assert.equal(h.service.get(r.conversationId)?.conversation.status, 'complete');
  });

  test('a timed-out conversation can be followed up', async () => {
    const h = createConversationHarness();
    const r = await h.service.openRally({ question: 'q', targets: ['beta'], ttlSeconds: 10 });
    h.clock.advance(10_000);
    await h.service.tick();
    const next = await h.service.openRally({ question: 'again?', targets: ['beta'], conversationId: r.conversationId });
    assert.equal(next.round, 2);
    assert.equal(next.conversationStatus, 'active');
    assert.equal(next.deadline, h.clock.now() + 10_000, 'the TTL of the conversation');
  });

  test('participant-side conversations time out at their TTL', async () => {
    const h = createConversationHarness();
    const cid = 'conv_1767225600_00000002';
    h.receive(fromPeer('beta', { type: 'request', body: 'q', ttl: 30, conversationId: cid, replyContext: { conversationId: cid, round: 1 } }));
    h.clock.advance(30_000);
    const t = await h.service.tick();
    assert.deepEqual(t.conversationsTimedOut, [cid]);
  });

  test('ticks only ever look at active conversations, earliest deadline first', async () => {
    const h = createConversationHarness();
    const late = await h.service.openRally({ question: 'q', targets: ['beta'], ttlSeconds: 100 });
    const early = await h.service.openRally({ question: 'q', targets: ['beta'], ttlSeconds: 10 });
    assert.equal(h.service.nextDueAt(), early.deadline);
    h.clock.advance(100_000);
    assert.deepEqual((await h.service.tick()).conversationsTimedOut, [early.conversationId, late.conversationId]);
  });
});

describe('lifecycle: by hand', () => {
  test('complete marks the open round complete; close and cancel keep the round; reasons recorded', async () => {
    const h = createConversationHarness();
    const a = await h.service.openRally({ question: 'q', targets: ['beta'] });
    const b = await h.service.openRally({ question: 'q', targets: ['beta'] });
    const c = await h.service.openRally({ question: 'q', targets: ['beta'] });
    assert.equal(h.service.complete(a.conversationId).statusReason, 'Completed');
    assert.equal(h.service.get(a.conversationId)?.rounds[0]?.status, 'complete');
    assert.equal(h.service.close(b.conversationId, 'answered elsewhere').statusReason, 'answered elsewhere');
    assert.equal(h.service.get(b.conversationId)?.rounds[0]?.status, 'pending');
    assert.equal(h.service.cancel(c.conversationId).status, 'cancelled');
    assert.deepEqual(h.eventsOf('conversation.status').map((e) => [e.status, e.reason]), [
      ['complete', 'Completed'], ['closed', 'answered elsewhere'], ['cancelled', 'Cancelled'],
    ]);
    assert.throws(() => h.service.complete(b.conversationId), code('INVALID_STATE'));
    assert.throws(() => h.service.close(c.conversationId), code('INVALID_STATE'));
    assert.throws(() => h.service.close('conv_1_00000000'), code('NOT_FOUND'));
    assert.throws(() => h.service.close(a.conversationId, 'x'.repeat(501)), code('INVALID_ARGUMENT'));
    assert.equal(h.service.close(a.conversationId, 'done').status, 'closed', 'a complete conversation can be closed');
  });

  test('list hides closed and cancelled unless all; search combines filters', async () => {
    const h = createConversationHarness();
    const a = await h.service.openRally({ question: 'disk usage on db-7?', targets: ['beta'] });
    h.clock.advance(1000);
    const b = await h.service.converse('collab', { question: 'disk usage trend?', targets: ['gamma'] });
    h.clock.advance(1000);
    const c = await h.service.openRally({ question: 'memory?', targets: ['beta'] });
    h.service.cancel(c.conversationId);
    assert.deepEqual(h.service.list().map((x) => x.id), [b.conversationId, a.conversationId]);
    assert.deepEqual(h.service.list({ all: true }).map((x) => x.id), [c.conversationId, b.conversationId, a.conversationId]);
    assert.deepEqual(h.service.search({ query: 'disk usage', agent: 'beta' }).map((x) => x.id), [a.conversationId]);
    assert.deepEqual(h.service.search({ query: 'disk', type: 'collab', status: 'active' }).map((x) => x.id), [b.conversationId]);
    h.receive(answerTo(h.outbound.last('gamma'), 'growing 3% a week'));
    assert.deepEqual(h.service.search({ query: 'a week' }).map((x) => x.id), [b.conversationId], 'response bodies too');
    assert.throws(() => h.service.search({ limit: -1 }), code('INVALID_ARGUMENT'));
    assert.throws(() => h.service.search({ query: 'x'.repeat(501) }), code('INVALID_ARGUMENT'));
  });

  test('cleanup deletes finished conversations older than N days', async () => {
    const h = createConversationHarness();
    const old = await h.service.openRally({ question: 'q', targets: ['beta'] });
    h.service.complete(old.conversationId);
    const open = await h.service.openRally({ question: 'q', targets: ['beta'], ttlSeconds: 7 * 86_400 });
    h.clock.advance(8 * DAY);
    const recent = await h.service.openRally({ question: 'q', targets: ['beta'] });
    h.service.close(recent.conversationId);
    assert.deepEqual(h.service.cleanup(7), [old.conversationId]);
    assert.equal(h.service.get(old.conversationId), null);
    assert.ok(h.service.get(open.conversationId), 'active conversations are kept whatever their age');
    assert.ok(h.service.get(recent.conversationId));
    assert.equal(h.audit.at(-1)?.status, 'conv_cleanup');
    assert.throws(() => h.service.cleanup(-1), code('INVALID_ARGUMENT'));
  });

  test('stats: counts by status, type and role; response rate over initiated rounds', async () => {
    const h = createConversationHarness();
    assert.equal(h.service.stats().responseRate, null);
    await h.service.openRally({ question: 'q', targets: ['beta', 'gamma'] });
    await h.service.converse('opinion', { question: 'q', targets: ['beta', 'gamma'] });
    h.receive(answerTo(h.outbound.to('beta')[0]!, 'x'));
    h.receive(answerTo(h.outbound.to('gamma')[0]!, 'x'));
    h.receive(answerTo(h.outbound.to('beta')[1]!, 'y'));
    h.receive(fromPeer('beta', { type: 'request', body: 'q', conversationId: 'conv_1_0000000a', replyContext: { conversationId: 'conv_1_0000000a', round: 1 } }));
    const s = h.service.stats();
    assert.deepEqual(s.byStatus, { active: 2, complete: 1 });
    assert.deepEqual(s.byType, { opinion: 1, rally: 2 });
    assert.deepEqual(s.byRole, { initiator: 2, participant: 1 });
    assert.deepEqual([s.expectedAnswers, s.countedAnswers, s.responseRate], [4, 3, 0.75]);
  });
});
