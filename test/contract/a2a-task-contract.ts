import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { A2ATaskRecord } from '../../src/ports/a2a-tasks.ts';
import { T0, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

function task(id: string, over: Partial<A2ATaskRecord> = {}): A2ATaskRecord {
  return {
    id, contextId: 'ctx-1', client: 'alice', messageId: `m-${id}`, inboxId: `msg_${id}`, state: 'TASK_STATE_SUBMITTED',
    request: '{"messageId":"m"}', resultText: null, statusText: null, createdAt: T0, updatedAt: T0, ...over,
  };
}

export function a2aTaskContract(makeStore: MakeStore): void {
  describe('a2a tasks', () => {
    test('(client, messageId) is unique: a second insert returns the first task', () => withStore(makeStore, (s) => {
      assert.deepEqual(s.a2aTasks.insert(task('t1')), { inserted: true });
      const again = s.a2aTasks.insert(task('t2', { messageId: 'm-t1' }));
      assert.equal(again.inserted, false);
      assert.equal(again.inserted === false ? again.existing.id : null, 't1');
      assert.deepEqual(s.a2aTasks.insert(task('t3', { messageId: 'm-t1', client: 'bob' })), { inserted: true });
      assert.equal(s.a2aTasks.get('t2'), null);
      assert.equal(s.a2aTasks.byInboxId('msg_t3')?.client, 'bob');
    }));

    test('transition is compare-and-set on the current state', () => withStore(makeStore, (s) => {
      s.a2aTasks.insert(task('t1'));
      assert.equal(s.a2aTasks.transition('t1', ['TASK_STATE_WORKING'], 'TASK_STATE_COMPLETED', { resultText: 'x' }, T0 + 1), false);
      assert.equal(s.a2aTasks.transition('t1', ['TASK_STATE_SUBMITTED'], 'TASK_STATE_COMPLETED', { resultText: 'answer' }, T0 + 2), true);
      assert.equal(s.a2aTasks.transition('t1', ['TASK_STATE_SUBMITTED'], 'TASK_STATE_CANCELED', {}, T0 + 3), false);
      const t = s.a2aTasks.get('t1');
      assert.deepEqual([t?.state, t?.resultText, t?.updatedAt], ['TASK_STATE_COMPLETED', 'answer', T0 + 2]);
    }));

    test('list pages newest first per client with a cursor; count ignores the cursor', () => withStore(makeStore, (s) => {
      for (let i = 0; i < 5; i++) s.a2aTasks.insert(task(`t${i}`, { createdAt: T0 + i, contextId: i % 2 === 0 ? 'even' : 'odd' }));
      s.a2aTasks.insert(task('other', { client: 'bob' }));
      const first = s.a2aTasks.list({ client: 'alice', limit: 2 });
      assert.deepEqual(first.map((t) => t.id), ['t4', 't3']);
      const last = first[1] as A2ATaskRecord;
      const next = s.a2aTasks.list({ client: 'alice', limit: 10, after: { createdAt: last.createdAt, id: last.id } });
      assert.deepEqual(next.map((t) => t.id), ['t2', 't1', 't0']);
      assert.deepEqual(s.a2aTasks.list({ client: 'alice', contextId: 'even', limit: 10 }).map((t) => t.id), ['t4', 't2', 't0']);
      assert.equal(s.a2aTasks.count({ client: 'alice' }), 5);
      assert.equal(s.a2aTasks.count({ client: 'alice', state: 'TASK_STATE_COMPLETED' }), 0);
    }));

    test('events are numbered, read per task from a cursor, and pruned with finished tasks only', () => withStore(makeStore, (s) => {
      s.a2aTasks.insert(task('a'));
      s.a2aTasks.insert(task('b'));
      const e1 = s.a2aTasks.appendEvent('a', { n: 1 }, T0);
      const e2 = s.a2aTasks.appendEvent('b', { n: 2 }, T0);
      const e3 = s.a2aTasks.appendEvent('a', { n: 3 }, T0);
      assert.ok(e1 < e2 && e2 < e3);
      assert.equal(s.a2aTasks.latestEventSeq(), e3);
      assert.deepEqual(s.a2aTasks.events('a', e1).map((e) => e.data), [{ n: 3 }]);
      assert.deepEqual(s.a2aTasks.eventsAfter(0).map((e) => e.taskId), ['a', 'b', 'a']);
      s.a2aTasks.transition('a', ['TASK_STATE_SUBMITTED'], 'TASK_STATE_COMPLETED', {}, T0);
      assert.equal(s.a2aTasks.prune(T0 + 1), 1, 'only the finished task');
      assert.equal(s.a2aTasks.get('a'), null);
      assert.deepEqual(s.a2aTasks.eventsAfter(0).map((e) => e.taskId), ['b']);
    }));

    test('inbox withdraw: only a pending hand-off not leased, or an unread inbox-only message', () => withStore(makeStore, (s) => {
      const row = (id: string, deliveryState: 'pending' | 'none') => ({
        id, from: 'alice', to: 'me', type: 'request', correlationId: null, conversationId: null, idempotencyKey: null, subject: 's',
        envelope: '{}', body: 'b', auth: 'a2a-bearer', receivedAt: T0, deliveryState, nextDeliveryAt: T0,
      });
      s.inbox.insert(row('msg_p', 'pending'));
      s.inbox.insert(row('msg_l', 'pending'));
      s.inbox.insert(row('msg_n', 'none'));
      s.inbox.insert(row('msg_r', 'none'));
      assert.deepEqual(s.inbox.claimForDelivery(T0, 10, 60_000).map((m) => m.id).sort(), ['msg_l', 'msg_p']);
      assert.equal(s.inbox.withdraw('msg_p', T0 + 1, 'canceled'), false, 'being handed off (leased)');
      assert.equal(s.inbox.withdraw('msg_p', T0 + 60_001, 'canceled'), true, 'the lease ran out: a crashed hand-off');
      s.inbox.markRead(['msg_r'], T0);
      assert.equal(s.inbox.withdraw('msg_n', T0, 'canceled'), true);
      assert.equal(s.inbox.get('msg_n')?.readAt, T0);
      assert.equal(s.inbox.withdraw('msg_r', T0, 'canceled'), false, 'already read');
      s.inbox.markHandedOff('msg_l', T0);
      assert.equal(s.inbox.withdraw('msg_l', T0 + 10 * 60_000, 'canceled'), false, 'handed off');
      assert.equal(s.inbox.withdraw('msg_missing', T0, 'x'), false);
    }));

    test('inbox withdraw of an unleased pending message fails its hand-off with the reason', () => withStore(makeStore, (s) => {
      s.inbox.insert({
        id: 'msg_q', from: 'alice', to: 'me', type: 'request', correlationId: null, conversationId: null, idempotencyKey: null, subject: 's',
        envelope: '{}', body: 'b', auth: 'a2a-bearer', receivedAt: T0, deliveryState: 'pending', nextDeliveryAt: T0 + 1000,
      });
      assert.equal(s.inbox.withdraw('msg_q', T0, 'canceled by client'), true);
      const m = s.inbox.get('msg_q');
      assert.deepEqual([m?.deliveryState, m?.deliveryError], ['failed', 'canceled by client']);
      assert.deepEqual(s.inbox.claimForDelivery(T0 + 2000, 10, 1000), []);
    }));

    test('remote tasks: due by time, rescheduled, dropped once', () => withStore(makeStore, (s) => {
      const r = { messageId: 'msg_1', peer: 'gw', taskId: 'rt-1', conversationId: null, createdAt: T0, nextCheckAt: T0 + 10, expiresAt: T0 + 1000 };
      s.a2aTasks.followRemote(r);
      assert.deepEqual(s.a2aTasks.dueRemote(T0, 10), []);
      assert.deepEqual(s.a2aTasks.dueRemote(T0 + 10, 10).map((x) => ({ ...x })), [r]);
      s.a2aTasks.rescheduleRemote('msg_1', T0 + 50);
      assert.deepEqual(s.a2aTasks.dueRemote(T0 + 49, 10), []);
      assert.equal(s.a2aTasks.dropRemote('msg_1'), true);
      assert.equal(s.a2aTasks.dropRemote('msg_1'), false);
    }));
  });
}
