import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { conv, request, response, round } from './conversation-fixtures.ts';
import { T0, ids, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

const DAY = 86_400_000;

export function conversationContract(makeStore: MakeStore): void {
  describe('conversations', () => {
    test('create once, get, update every field; missing ones stay missing', () => withStore(makeStore, (s) => {
      assert.equal(s.conversations.get('c1'), null);
      assert.equal(s.conversations.create(conv('c1')), true);
      assert.equal(s.conversations.create(conv('c1', { subject: 'other' })), false);
      assert.deepEqual(s.conversations.get('c1'), conv('c1'));
      const changed = conv('c1', {
        type: 'escalation', role: 'participant', initiator: 'delta', participants: ['x', 'y', 'z'], subject: 'new',
        ttlSeconds: 60, createdAt: T0 + 1, updatedAt: T0 + 2, deadline: T0 + 3, status: 'timeout', statusReason: 'why',
        currentRound: 3, anonymize: true, ack: true, escalationChain: ['x', 'y'], labels: [{ agent: 'x', label: 'A' }],
        verdict: {
          verdict: 'confirmed', summary: 'both agree', setBy: 'alpha', setAt: T0 + 4, round: 2,
          basis: [{ responseId: 'msg_1', agent: 'x', sha256: 'ab'.repeat(32) }],
        },
      });
      s.conversations.update(changed);
      assert.deepEqual(s.conversations.get('c1'), changed);
      s.conversations.update(conv('c1', { verdict: { ...changed.verdict!, summary: null, basis: [] } }));
      assert.equal(s.conversations.get('c1')?.verdict?.summary, null);
      s.conversations.update(conv('ghost'));
      assert.equal(s.conversations.get('ghost'), null);
    }));

    test('a returned record is a copy', () => withStore(makeStore, (s) => {
      s.conversations.create(conv('c1'));
      const got = s.conversations.get('c1')!;
      got.participants.push('mallory');
      got.labels.push({ agent: 'mallory', label: 'Z' });
      assert.deepEqual(s.conversations.get('c1'), conv('c1'));
    }));

    test('currentRounds: each conversation\'s current round, its counted answerers and response count, in one read', () => withStore(makeStore, (s) => {
      s.conversations.create(conv('c1', { currentRound: 2 }));
      s.conversations.create(conv('c2'));
      s.conversations.create(conv('c3'));
      s.conversations.addRound(round('c1', 1));
      s.conversations.addRound(round('c1', 2, { status: 'partial' }));
      s.conversations.addRound(round('c2', 1));
      s.conversations.addResponse(response('r1', { conversationId: 'c1', round: 1, agent: 'gamma' }));
      s.conversations.addResponse(response('r2', { conversationId: 'c1', round: 2, agent: 'beta' }));
      s.conversations.addResponse(response('r3', { conversationId: 'c1', round: 2, agent: 'beta', counted: false }));
      s.conversations.addResponse(response('r4', { conversationId: 'c1', round: 2, agent: 'delta', counted: false, correlatedBy: 'api', auth: 'none' }));
      const got = s.conversations.currentRounds(['c1', 'c2', 'c3', 'missing', 'c1']).sort((a, b) => a.round.conversationId.localeCompare(b.round.conversationId));
      assert.deepEqual(got, [
        { round: round('c1', 2, { status: 'partial' }), answered: ['beta'], responses: 3 },
        { round: round('c2', 1), answered: [], responses: 0 },
      ], 'c3 has no round; unknown ids and repeats are harmless');
      assert.deepEqual(s.conversations.currentRounds([]), []);
    }));

    test('search: each filter, newest first, limit', () => withStore(makeStore, (s) => {
      s.conversations.create(conv('c1', { createdAt: T0 + 1 }));
      s.conversations.create(conv('c2', { createdAt: T0 + 2, type: 'collab', initiator: 'beta', participants: ['delta'] }));
      s.conversations.create(conv('c3', { createdAt: T0 + 3, status: 'timeout', participants: ['epsilon'], role: 'participant' }));
      s.conversations.create(conv('c4', { createdAt: T0 + 3, status: 'closed', participants: [] }));
      assert.deepEqual(ids(s.conversations.search()), ['c4', 'c3', 'c2', 'c1'], 'ties: the later inserted first');
      assert.deepEqual(ids(s.conversations.search({ status: 'active' })), ['c2', 'c1']);
      assert.deepEqual(ids(s.conversations.search({ status: ['timeout', 'closed'] })), ['c4', 'c3']);
      assert.deepEqual(ids(s.conversations.search({ status: [] })), []);
      assert.deepEqual(ids(s.conversations.search({ type: 'collab' })), ['c2']);
      assert.deepEqual(ids(s.conversations.search({ role: 'participant' })), ['c3']);
      assert.deepEqual(ids(s.conversations.search({ agent: 'beta' })), ['c2', 'c1'], 'participant or initiator');
      assert.deepEqual(ids(s.conversations.search({ agent: 'epsilon' })), ['c3']);
      assert.deepEqual(ids(s.conversations.search({ agent: 'alpha' })), ['c4', 'c3', 'c1']);
      assert.deepEqual(ids(s.conversations.search({ agent: 'gam' })), [], 'names match exactly');
      assert.deepEqual(ids(s.conversations.search({ since: T0 + 2 })), ['c4', 'c3', 'c2']);
      assert.deepEqual(ids(s.conversations.search({ limit: 2 })), ['c4', 'c3']);
      assert.deepEqual(ids(s.conversations.search({ limit: 0 })), []);
    }));

    test('search by text covers questions and response bodies, case-insensitively', () => withStore(makeStore, (s) => {
      s.conversations.create(conv('c1', { createdAt: T0 + 1 }));
      s.conversations.create(conv('c2', { createdAt: T0 + 2 }));
      s.conversations.create(conv('c3', { createdAt: T0 + 3 }));
      s.conversations.addRound(round('c1', 1, { question: 'Count ACTIVE records in the target dataset' }));
      s.conversations.addRound(round('c2', 1, { question: 'Which host is slow?' }));
      s.conversations.addRound(round('c2', 2, { question: 'And the second round?' }));
      s.conversations.addResponse(response('r1', { conversationId: 'c2', body: 'The active host is db-7' }));
      s.conversations.addResponse(response('r2', { conversationId: 'c3', body: 'nothing to see', counted: false }));
      assert.deepEqual(ids(s.conversations.search({ query: 'active' })), ['c2', 'c1']);
      assert.deepEqual(ids(s.conversations.search({ query: 'Active Records' })), ['c1'], 'a phrase');
      assert.deepEqual(ids(s.conversations.search({ query: 'records active' })), [], 'word order matters');
      assert.deepEqual(ids(s.conversations.search({ query: 'second round' })), ['c2'], 'any round');
      assert.deepEqual(ids(s.conversations.search({ query: 'nothing' })), ['c3'], 'uncounted responses too');
      assert.deepEqual(ids(s.conversations.search({ query: 'absent' })), []);
      assert.deepEqual(ids(s.conversations.search({ query: '  ' })), ['c3', 'c2', 'c1'], 'a blank query is no filter');
    }));

    test('search applies every filter together', () => withStore(makeStore, (s) => {
      const make = (id: string, t: number, over: Parameters<typeof conv>[1]): void => {
        s.conversations.create(conv(id, { createdAt: T0 + t, ...over }));
        s.conversations.addRound(round(id, 1, { question: `disk usage on ${id}` }));
      };
      make('c1', 1, {});
      make('c2', 2, { type: 'collab' });
      make('c3', 3, { status: 'complete' });
      make('c4', 4, { participants: ['zeta'] });
      make('c5', 5, {});
      s.conversations.addRound(round('c6', 1, { question: 'memory' }));
      s.conversations.create(conv('c6', { createdAt: T0 + 6 }));
      make('c7', 0, {});
      const all = { agent: 'beta', type: 'rally', status: 'active', since: T0 + 1, query: 'disk usage' } as const;
      assert.deepEqual(ids(s.conversations.search(all)), ['c5', 'c1']);
      assert.deepEqual(ids(s.conversations.search({ ...all, limit: 1 })), ['c5']);
    }));

    test('search by text: the same newest-first page for a word most conversations contain and for a rare one', () => withStore(makeStore, (s) => {
      // A common word may be searched by walking conversations newest first, a rare one by looking its
      // matches up: either way ties in created_at go to the later inserted, and each conversation once.
      const made: Array<{ id: string; createdAt: number; status: 'active' | 'complete' }> = [];
      for (let i = 0; i < 40; i++) {
        const id = `c${i}`;
        const c = { id, createdAt: T0 + Math.floor((i * 7) % 40 / 3), status: i % 4 === 0 ? 'complete' as const : 'active' as const };
        s.conversations.create(conv(id, { createdAt: c.createdAt, status: c.status }));
        s.conversations.addRound(round(id, 1, { question: `common question ${i % 5 === 0 ? 'scarce' : 'plain'} w${i}` }));
        if (i % 2 === 0) s.conversations.addResponse(response(`r${i}`, { conversationId: id, round: 1, agent: 'beta', body: 'common answer' }));
        made.push(c);
      }
      const newestFirst = (keep: (c: (typeof made)[number]) => boolean): string[] =>
        made.map((c, order) => ({ ...c, order })).filter(keep).sort((a, b) => b.createdAt - a.createdAt || b.order - a.order).map((c) => c.id);
      const every = newestFirst(() => true);
      assert.deepEqual(ids(s.conversations.search({ query: 'common', limit: 5 })), every.slice(0, 5));
      assert.deepEqual(ids(s.conversations.search({ query: 'common' })), every);
      assert.deepEqual(ids(s.conversations.search({ query: 'common', status: 'complete', limit: 4 })), newestFirst((c) => c.status === 'complete').slice(0, 4));
      assert.deepEqual(ids(s.conversations.search({ query: 'w17' })), ['c17']);
      const scarce = newestFirst((c) => Number(c.id.slice(1)) % 5 === 0);
      assert.deepEqual(ids(s.conversations.search({ query: 'scarce', limit: 3 })), scarce.slice(0, 3));
      assert.deepEqual(ids(s.conversations.search({ query: 'scarce' })), scarce);
    }));

    test('search text with FTS syntax characters is taken literally', () => withStore(makeStore, (s) => {
      s.conversations.create(conv('c1'));
      s.conversations.addRound(round('c1', 1, { question: 'is "NEAR" OR AND a problem*' }));
      assert.deepEqual(ids(s.conversations.search({ query: '"NEAR" OR' })), ['c1']);
      assert.deepEqual(ids(s.conversations.search({ query: 'AND a' })), ['c1']);
      assert.deepEqual(ids(s.conversations.search({ query: 'OR NOT' })), []);
    }));

    test('active: only active conversations, earliest deadline first', () => withStore(makeStore, (s) => {
      s.conversations.create(conv('c1', { deadline: T0 + 30 }));
      s.conversations.create(conv('c2', { deadline: T0 + 10 }));
      s.conversations.create(conv('c3', { deadline: T0 + 5, status: 'complete' }));
      s.conversations.create(conv('c4', { deadline: T0 + 20 }));
      assert.deepEqual(ids(s.conversations.active()), ['c2', 'c4', 'c1']);
      assert.deepEqual(ids(s.conversations.active(1)), ['c2']);
      s.conversations.update(conv('c2', { status: 'timeout', deadline: T0 + 10 }));
      assert.deepEqual(ids(s.conversations.active()), ['c4', 'c1']);
    }));

    test('deleteTerminal removes old finished conversations with everything they hold', () => withStore(makeStore, (s) => {
      const old = T0 - 10 * DAY;
      for (const [id, status] of [['c1', 'complete'], ['c2', 'timeout'], ['c3', 'closed'], ['c4', 'cancelled'], ['c5', 'active']] as const) {
        s.conversations.create(conv(id, { status, updatedAt: old }));
        s.conversations.addRound(round(id, 1, { question: `findme ${id}` }));
        s.conversations.addResponse(response(`r-${id}`, { conversationId: id, body: `findme answer ${id}` }));
        s.conversations.putRequest(request(`q-${id}`, { conversationId: id }));
      }
      s.conversations.create(conv('c6', { status: 'complete', updatedAt: T0 }));
      assert.deepEqual(s.conversations.deleteTerminal(T0 - DAY).sort(), ['c1', 'c2', 'c3', 'c4']);
      for (const id of ['c1', 'c2', 'c3', 'c4']) {
        assert.equal(s.conversations.get(id), null);
        assert.deepEqual(s.conversations.rounds(id), []);
        assert.deepEqual(s.conversations.responses(id), []);
        assert.deepEqual(s.conversations.requests(id), []);
        assert.equal(s.conversations.request(`q-${id}`), null);
        assert.equal(s.conversations.response(`r-${id}`), null);
      }
      assert.deepEqual(ids(s.conversations.search({ query: 'findme' })), ['c5'], 'the search index forgets them too');
      assert.deepEqual(ids(s.conversations.search()).sort(), ['c5', 'c6']);
      assert.deepEqual(s.conversations.deleteTerminal(T0 - DAY), []);
    }));

    test('stats: counts by status, type and role; answers of initiated rounds', () => withStore(makeStore, (s) => {
      assert.deepEqual(s.conversations.stats(), { byStatus: {}, byType: {}, byRole: {}, expectedAnswers: 0, countedAnswers: 0 });
      s.conversations.create(conv('c1'));
      s.conversations.create(conv('c2', { status: 'complete', type: 'collab' }));
      s.conversations.create(conv('c3', { role: 'participant' }));
      s.conversations.addRound(round('c1', 1, { expected: ['beta', 'gamma'] }));
      s.conversations.addRound(round('c1', 2, { expected: ['beta'] }));
      s.conversations.addRound(round('c3', 1, { expected: ['alpha', 'beta', 'gamma'] }));
      s.conversations.addResponse(response('r1', { counted: true }));
      s.conversations.addResponse(response('r2', { counted: false }));
      s.conversations.addResponse(response('r3', { conversationId: 'c3', counted: true }));
      assert.deepEqual(s.conversations.stats(), {
        byStatus: { active: 2, complete: 1 }, byType: { collab: 1, rally: 2 }, byRole: { initiator: 2, participant: 1 },
        expectedAnswers: 3, countedAnswers: 1,
      });
    }));
  });

  describe('conversation rounds', () => {
    test('addRound once per number; updateRound changes state but never the question', () => withStore(makeStore, (s) => {
      assert.equal(s.conversations.addRound(round('c1', 2)), true);
      assert.equal(s.conversations.addRound(round('c1', 1)), true);
      assert.equal(s.conversations.addRound(round('c1', 1, { question: 'again' })), false);
      assert.equal(s.conversations.addRound(round('c2', 1)), true);
      assert.deepEqual(s.conversations.rounds('c1'), [round('c1', 1), round('c1', 2)]);
      const closed = round('c1', 1, {
        question: 'ignored', deadline: T0 + 9, expected: ['beta'], quorum: 1, status: 'timeout', closedAt: T0 + 8, createdAt: T0 + 99,
      });
      s.conversations.updateRound(closed);
      assert.deepEqual(s.conversations.round('c1', 1), { ...closed, question: 'question 1', createdAt: T0 + 1 });
      s.conversations.updateRound(round('c1', 7));
      assert.equal(s.conversations.round('c1', 7), null);
      assert.deepEqual(s.conversations.rounds('none'), []);
      assert.equal(s.conversations.round('none', 1), null);
    }));
  });

  describe('conversation responses', () => {
    test('one row per envelope id; kept in full, ordered by round then arrival', () => withStore(makeStore, (s) => {
      const long = 'x'.repeat(70_000);
      assert.equal(s.conversations.addResponse(response('r1', { receivedAt: T0 + 2, body: long })), true);
      assert.equal(s.conversations.addResponse(response('r2', { agent: 'gamma', receivedAt: T0 + 1, auth: 'none', correlatedBy: 'subject' })), true);
      assert.equal(s.conversations.addResponse(response('r1', { body: 'changed' })), false);
      assert.equal(s.conversations.addResponse(response('r3', { counted: false, fromParticipant: false, agent: 'mallory', receivedAt: T0 + 2 })), true);
      assert.equal(s.conversations.addResponse(response('r4', { round: 2, correlationId: 'msg_q', auth: 'ed25519', correlatedBy: 'reply_context' })), true);
      assert.equal(s.conversations.addResponse(response('r5', { conversationId: 'c2' })), true);
      assert.equal(s.conversations.response('r1')?.body, long);
      assert.deepEqual(s.conversations.response('r3'), response('r3', { counted: false, fromParticipant: false, agent: 'mallory', receivedAt: T0 + 2 }));
      assert.deepEqual(s.conversations.responses('c1', 1).map((r) => r.id), ['r2', 'r1', 'r3']);
      assert.deepEqual(s.conversations.responses('c1').map((r) => r.id), ['r2', 'r1', 'r3', 'r4']);
      assert.deepEqual(s.conversations.responses('c1', 2), [
        response('r4', { round: 2, correlationId: 'msg_q', auth: 'ed25519', correlatedBy: 'reply_context' }),
      ]);
      assert.equal(s.conversations.response('missing'), null);
    }));
  });

  describe('conversation requests', () => {
    test('putRequest upserts; lookup by id; delivery outcome recorded', () => withStore(makeStore, (s) => {
      s.conversations.putRequest(request('q1'));
      s.conversations.putRequest(request('q2', { agent: 'gamma' }));
      s.conversations.putRequest(request('q3', { round: 2, createdAt: T0 + 5 }));
      s.conversations.putRequest(request('q4', { conversationId: 'c2' }));
      assert.deepEqual(s.conversations.request('q2'), request('q2', { agent: 'gamma' }));
      s.conversations.setRequestDelivery('q1', 'dead_lettered', 'client_error_404');
      s.conversations.setRequestDelivery('missing', 'delivered', null);
      assert.deepEqual(s.conversations.request('q1'), request('q1', { delivery: 'dead_lettered', error: 'client_error_404' }));
      assert.deepEqual(s.conversations.requests('c1').map((r) => r.id), ['q1', 'q2', 'q3']);
      assert.deepEqual(s.conversations.requests('c1', 2).map((r) => r.id), ['q3']);
      s.conversations.putRequest(request('q2', { agent: 'delta', delivery: 'queued' }));
      assert.deepEqual(s.conversations.request('q2'), request('q2', { agent: 'delta', delivery: 'queued' }));
      assert.deepEqual(s.conversations.requests('c1', 1).map((r) => r.id), ['q1', 'q2'], 'a replaced row keeps its place');
      assert.equal(s.conversations.request('missing'), null);
    }));
  });
}
