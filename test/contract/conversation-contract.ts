import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/protocol/json.ts';
import type { ConversationRecord, ResponseRecord, RoundRecord, SessionMessage } from '../../src/ports/store.ts';
import { T0, ids, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

function conv(id: string, over: Partial<ConversationRecord> = {}): ConversationRecord {
  return {
    id, kind: 'rally', initiator: 'alpha', subject: 'deploy?', status: 'active', participants: ['beta', 'gamma'],
    currentRound: 1, createdAt: T0, updatedAt: T0, expiresAt: T0 + 60_000, data: { verdicts: { beta: 'yes' }, n: [1, 2] },
    ...over,
  };
}

function round(conversationId: string, n: number, over: Partial<RoundRecord> = {}): RoundRecord {
  return {
    conversationId, round: n, question: `question ${n}`, status: 'pending', expectedResponses: 2, createdAt: T0 + n,
    consensus: null, consensusSummary: null, ...over,
  };
}

function response(agent: string, n: number, over: Partial<ResponseRecord> = {}): ResponseRecord {
  return { conversationId: 'c1', round: n, agent, messageId: `msg_${agent}_${n}`, body: `answer of ${agent}`, receivedAt: T0, ...over };
}

function sessionMsg(sessionKey: string, i: number): SessionMessage {
  return {
    sessionKey, from: 'alpha', to: 'beta', type: 'request', subject: `s${i}`, body: `b${i}`, messageId: `msg_${i}`,
    correlationId: null, ts: T0 + i,
  };
}

export function conversationContract(makeStore: MakeStore): void {
  describe('conversations', () => {
    test('create once, get, update; missing ones stay missing', () => withStore(makeStore, (s) => {
      assert.equal(s.conversations.create(conv('c1')), true);
      assert.equal(s.conversations.create(conv('c1', { subject: 'other' })), false);
      assert.deepEqual(s.conversations.get('c1'), conv('c1'));
      s.conversations.update(conv('c1', { status: 'complete', currentRound: 2, data: { done: true }, expiresAt: null }));
      assert.deepEqual(s.conversations.get('c1'), conv('c1', { status: 'complete', currentRound: 2, data: { done: true }, expiresAt: null }));
      s.conversations.update(conv('ghost'));
      assert.equal(s.conversations.get('ghost'), null);
    }));

    test('list filters by status, kind, agent (initiator or participant) and since', () => withStore(makeStore, (s) => {
      s.conversations.create(conv('c1', { createdAt: T0 + 1 }));
      s.conversations.create(conv('c2', { createdAt: T0 + 2, kind: 'collab', initiator: 'beta', participants: ['delta'] }));
      s.conversations.create(conv('c3', { createdAt: T0 + 3, status: 'timeout', participants: ['epsilon'] }));
      assert.deepEqual(ids(s.conversations.list()), ['c1', 'c2', 'c3']);
      assert.deepEqual(ids(s.conversations.list({ status: 'active' })), ['c1', 'c2']);
      assert.deepEqual(ids(s.conversations.list({ kind: 'collab' })), ['c2']);
      assert.deepEqual(ids(s.conversations.list({ agent: 'beta' })), ['c1', 'c2']);
      assert.deepEqual(ids(s.conversations.list({ agent: 'epsilon' })), ['c3']);
      assert.deepEqual(ids(s.conversations.list({ agent: 'gam' })), [], 'participants match exactly');
      assert.deepEqual(ids(s.conversations.list({ since: T0 + 2 })), ['c2', 'c3']);
      assert.deepEqual(ids(s.conversations.list({ limit: 1 })), ['c1']);
    }));

    test('putRound upserts; rounds are ordered by number', () => withStore(makeStore, (s) => {
      s.conversations.putRound(round('c1', 2));
      s.conversations.putRound(round('c1', 1));
      s.conversations.putRound(round('c2', 1));
      s.conversations.putRound(round('c1', 1, { status: 'complete', consensus: 'approve', consensusSummary: '2/2 yes' }));
      assert.deepEqual(s.conversations.rounds('c1'), [
        round('c1', 1, { status: 'complete', consensus: 'approve', consensusSummary: '2/2 yes' }), round('c1', 2),
      ]);
      assert.deepEqual(s.conversations.rounds('none'), []);
    }));

    test('addResponse keeps the first response per (conversation, round, agent)', () => withStore(makeStore, (s) => {
      assert.equal(s.conversations.addResponse(response('beta', 1, { receivedAt: T0 + 2 })), true);
      assert.equal(s.conversations.addResponse(response('gamma', 1, { receivedAt: T0 + 1 })), true);
      assert.equal(s.conversations.addResponse(response('beta', 1, { body: 'changed my mind' })), false);
      assert.equal(s.conversations.addResponse(response('beta', 2)), true);
      assert.equal(s.conversations.addResponse(response('beta', 1, { conversationId: 'c2' })), true);
      assert.deepEqual(s.conversations.responses('c1', 1), [
        response('gamma', 1, { receivedAt: T0 + 1 }), response('beta', 1, { receivedAt: T0 + 2 }),
      ]);
      assert.deepEqual(s.conversations.responses('c1').map((r) => [r.round, r.agent]), [[1, 'gamma'], [1, 'beta'], [2, 'beta']]);
    }));
  });

  describe('sessions', () => {
    test('put, get, list by status, delete', () => withStore(makeStore, (s) => {
      assert.equal(s.sessions.get('s1'), null);
      s.sessions.put({ key: 's1', status: 'active', participants: ['alpha', 'beta'], createdAt: T0, lastActivity: T0 });
      s.sessions.put({ key: 's2', status: 'closed', participants: [], createdAt: T0 + 1, lastActivity: T0 + 1 });
      s.sessions.put({ key: 's1', status: 'active', participants: ['alpha', 'beta'], createdAt: T0, lastActivity: T0 + 9 });
      assert.deepEqual(s.sessions.get('s1'), { key: 's1', status: 'active', participants: ['alpha', 'beta'], createdAt: T0, lastActivity: T0 + 9 });
      assert.deepEqual(s.sessions.list().map((x) => x.key), ['s1', 's2']);
      assert.deepEqual(s.sessions.list({ status: 'closed' }).map((x) => x.key), ['s2']);
      s.sessions.appendMessage(sessionMsg('s1', 1), 10);
      assert.equal(s.sessions.delete('s1'), true);
      assert.equal(s.sessions.get('s1'), null);
      assert.deepEqual(s.sessions.messages('s1'), []);
      assert.equal(s.sessions.delete('s1'), false);
    }));

    test('appendMessage keeps the newest N per session; messages are chronological', () => withStore(makeStore, (s) => {
      for (let i = 1; i <= 5; i++) s.sessions.appendMessage(sessionMsg('s1', i), 3);
      s.sessions.appendMessage(sessionMsg('s2', 100), 3);
      assert.deepEqual(s.sessions.messages('s1'), [sessionMsg('s1', 3), sessionMsg('s1', 4), sessionMsg('s1', 5)]);
      assert.deepEqual(s.sessions.messages('s1', 2).map((m) => m.subject), ['s4', 's5'], 'limit keeps the newest');
      assert.deepEqual(s.sessions.messages('s2'), [sessionMsg('s2', 100)]);
      s.sessions.appendMessage(sessionMsg('s1', 6), 1);
      assert.deepEqual(s.sessions.messages('s1').map((m) => m.subject), ['s6']);
    }));
  });

  describe('event log', () => {
    test('append assigns consecutive seq; after is ascending and limited', () => withStore(makeStore, (s) => {
      assert.equal(s.events.latestSeq(), 0);
      assert.deepEqual(s.events.after(0), []);
      const a = s.events.append('message.queued', { id: 'm1', peer: 'beta' }, T0);
      const b = s.events.append('circuit.opened', new Map<string, JsonValue>([['peer', 'beta'], ['until', 5]]), T0 + 1);
      const c = s.events.append('peer.health', null, T0 + 2);
      assert.deepEqual([b - a, c - b], [1, 1]);
      assert.equal(s.events.latestSeq(), c);
      assert.deepEqual(s.events.after(a), [
        { seq: b, ts: T0 + 1, type: 'circuit.opened', data: { peer: 'beta', until: 5 } },
        { seq: c, ts: T0 + 2, type: 'peer.health', data: null },
      ]);
      assert.deepEqual(s.events.after(0, 2).map((e) => e.seq), [a, b]);
      assert.deepEqual(s.events.after(c), []);
    }));

    test('prune deletes old events but never rewinds seq', () => withStore(makeStore, (s) => {
      s.events.append('a', 1, T0);
      const last = s.events.append('b', 2, T0 + 10);
      assert.equal(s.events.prune(T0 + 11), 2);
      assert.equal(s.events.latestSeq(), last);
      assert.equal(s.events.append('c', 3, T0 + 20), last + 1);
      assert.deepEqual(s.events.after(0).map((e) => e.seq), [last + 1]);
    }));
  });
}
