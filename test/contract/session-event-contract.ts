import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/protocol/json.ts';
import type { SessionMessage } from '../../src/ports/store.ts';
import { T0, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

function sessionMsg(sessionKey: string, i: number): SessionMessage {
  return {
    sessionKey, from: 'alpha', to: 'beta', type: 'request', subject: `s${i}`, body: `b${i}`, messageId: `msg_${i}`,
    correlationId: null, ts: T0 + i,
  };
}

export function sessionEventContract(makeStore: MakeStore): void {
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
