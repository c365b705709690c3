import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { T0, ids, outboxMsg, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

const LEASE = 30_000;

export function outboxContract(makeStore: MakeStore): void {
  describe('outbox', () => {
    test('enqueue stores a pending message once; a repeated id is a no-op returning false', () => withStore(makeStore, (s) => {
      assert.equal(s.outbox.enqueue(outboxMsg('m1', { sessionKey: 'hook:beta' })), true);
      assert.equal(s.outbox.enqueue(outboxMsg('m1', { envelope: 'other bytes', peer: 'gamma' })), false);
      assert.deepEqual(s.outbox.get('m1'), {
        ...outboxMsg('m1', { sessionKey: 'hook:beta' }),
        state: 'pending', attempts: 0, lastError: null, leaseUntil: 0, deliveredAt: null,
      });
      assert.equal(s.outbox.get('missing'), null);
    }));

    test('claimDue: oldest nextAttemptAt first, ties by createdAt, limited, leased', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('late', { nextAttemptAt: T0 + 300, createdAt: T0 }));
      s.outbox.enqueue(outboxMsg('tieB', { nextAttemptAt: T0 + 100, createdAt: T0 + 20 }));
      s.outbox.enqueue(outboxMsg('tieA', { nextAttemptAt: T0 + 100, createdAt: T0 + 10 }));
      s.outbox.enqueue(outboxMsg('first', { nextAttemptAt: T0 + 50, createdAt: T0 + 30 }));
      const now = T0 + 1000;
      const got = s.outbox.claimDue(now, 3, LEASE);
      assert.deepEqual(ids(got), ['first', 'tieA', 'tieB']);
      for (const m of got) assert.equal(m.leaseUntil, now + LEASE);
      assert.equal(s.outbox.get('tieA')?.leaseUntil, now + LEASE);
      assert.equal(s.outbox.get('late')?.leaseUntil, 0);
      assert.deepEqual(s.outbox.claimDue(now, 0, LEASE), []);
    }));

    test('claimDue skips leased messages until the lease ends', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('a'));
      s.outbox.enqueue(outboxMsg('b', { createdAt: T0 + 1 }));
      assert.deepEqual(ids(s.outbox.claimDue(T0, 1, LEASE)), ['a']);
      assert.deepEqual(ids(s.outbox.claimDue(T0, 10, LEASE)), ['b']);
      assert.deepEqual(s.outbox.claimDue(T0 + LEASE - 1, 10, LEASE), []);
      assert.deepEqual(ids(s.outbox.claimDue(T0 + LEASE, 10, LEASE)), ['a', 'b']);
    }));

    test('claimDue skips messages not yet due, expired or delivered', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('future', { nextAttemptAt: T0 + 10 }));
      s.outbox.enqueue(outboxMsg('expired', { expiresAt: T0 }));
      s.outbox.enqueue(outboxMsg('done'));
      s.outbox.markDelivered('done', T0);
      s.outbox.enqueue(outboxMsg('ok'));
      assert.deepEqual(ids(s.outbox.claimDue(T0, 10, LEASE)), ['ok']);
      assert.deepEqual(ids(s.outbox.claimDue(T0 + 10, 10, LEASE)), ['future']);
    }));

    test('claimDue can be limited to one peer', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('b1', { peer: 'beta' }));
      s.outbox.enqueue(outboxMsg('g1', { peer: 'gamma' }));
      s.outbox.enqueue(outboxMsg('g2', { peer: 'gamma', createdAt: T0 + 1 }));
      assert.deepEqual(ids(s.outbox.claimDue(T0, 10, LEASE, 'gamma')), ['g1', 'g2']);
      assert.deepEqual(ids(s.outbox.claimDue(T0, 10, LEASE)), ['b1']);
    }));

    test('claim leases one message; null when leased, missing, delivered or expired', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('m1', { nextAttemptAt: T0 + 100 }));
      const got = s.outbox.claim('m1', T0, LEASE);
      assert.equal(got?.id, 'm1', 'a specific message is claimable before its nextAttemptAt');
      assert.equal(got.leaseUntil, T0 + LEASE);
      assert.equal(s.outbox.get('m1')?.leaseUntil, T0 + LEASE);
      assert.equal(s.outbox.claim('m1', T0 + 1, LEASE), null);
      assert.deepEqual(s.outbox.claimDue(T0 + 100, 10, LEASE), [], 'a claimed message is not handed out again');
      assert.equal(s.outbox.claim('m1', T0 + LEASE, LEASE)?.leaseUntil, T0 + 2 * LEASE);
      assert.equal(s.outbox.claim('missing', T0, LEASE), null);
      s.outbox.enqueue(outboxMsg('done'));
      s.outbox.markDelivered('done', T0);
      assert.equal(s.outbox.claim('done', T0, LEASE), null);
      s.outbox.enqueue(outboxMsg('old', { expiresAt: T0 + 5 }));
      assert.equal(s.outbox.claim('old', T0 + 5, LEASE), null);
    }));

    test('recordFailure counts the attempt, keeps the error and reschedules', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('m1'));
      s.outbox.claimDue(T0, 1, LEASE);
      s.outbox.recordFailure('m1', 'HTTP 503', T0 + 2000);
      s.outbox.recordFailure('m1', 'timeout', T0 + 4000);
      const m = s.outbox.get('m1');
      assert.equal(m?.attempts, 2);
      assert.equal(m.lastError, 'timeout');
      assert.equal(m.nextAttemptAt, T0 + 4000);
      assert.equal(m.leaseUntil, 0);
      assert.deepEqual(s.outbox.claimDue(T0 + 3999, 10, LEASE), []);
      assert.deepEqual(ids(s.outbox.claimDue(T0 + 4000, 10, LEASE)), ['m1']);
    }));

    test('release gives the lease back without counting an attempt', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('m1'));
      s.outbox.claimDue(T0, 1, LEASE);
      s.outbox.release('m1', T0 + 500);
      const m = s.outbox.get('m1');
      assert.equal(m?.attempts, 0);
      assert.equal(m.leaseUntil, 0);
      assert.equal(m.nextAttemptAt, T0 + 500);
      assert.deepEqual(ids(s.outbox.claimDue(T0 + 500, 10, LEASE)), ['m1']);
    }));

    test('markDelivered ends the message: not pending, not claimable, id still taken', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('m1'));
      s.outbox.claimDue(T0, 1, LEASE);
      s.outbox.markDelivered('m1', T0 + 7);
      const m = s.outbox.get('m1');
      assert.equal(m?.state, 'delivered');
      assert.equal(m.deliveredAt, T0 + 7);
      assert.equal(m.leaseUntil, 0);
      assert.deepEqual(s.outbox.listPending(), []);
      assert.deepEqual(s.outbox.pendingCounts(), {});
      assert.deepEqual(s.outbox.claimDue(T0 + LEASE, 10, LEASE), []);
      assert.equal(s.outbox.enqueue(outboxMsg('m1')), false);
      s.outbox.recordFailure('m1', 'late failure', T0 + 9);
      assert.equal(s.outbox.get('m1')?.state, 'delivered', 'a delivered message stays delivered');
      s.outbox.markDelivered('missing', T0);
    }));

    test('listPending: oldest created first, per peer, limited', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('c', { createdAt: T0 + 3 }));
      s.outbox.enqueue(outboxMsg('a', { createdAt: T0 + 1, peer: 'gamma' }));
      s.outbox.enqueue(outboxMsg('b', { createdAt: T0 + 2 }));
      assert.deepEqual(ids(s.outbox.listPending()), ['a', 'b', 'c']);
      assert.deepEqual(ids(s.outbox.listPending('beta')), ['b', 'c']);
      assert.deepEqual(ids(s.outbox.listPending(undefined, 2)), ['a', 'b']);
      assert.deepEqual(ids(s.outbox.listPending('beta', 1)), ['b']);
    }));

    test('pendingCounts looks at pending messages only', () => withStore(makeStore, (s) => {
      assert.deepEqual(s.outbox.pendingCounts(), {});
      s.outbox.enqueue(outboxMsg('b1', { nextAttemptAt: T0 + 50 }));
      s.outbox.enqueue(outboxMsg('b2', { nextAttemptAt: T0 + 20 }));
      s.outbox.enqueue(outboxMsg('g1', { peer: 'gamma', nextAttemptAt: T0 + 30 }));
      s.outbox.enqueue(outboxMsg('d1', { peer: 'delta', nextAttemptAt: T0 + 10 }));
      s.outbox.markDelivered('d1', T0);
      assert.deepEqual(s.outbox.pendingCounts(), { beta: 2, gamma: 1 });
    }));

    test('duePerPeer: earliest due time of each peer with pending messages, by name', () => withStore(makeStore, (s) => {
      assert.deepEqual(s.outbox.duePerPeer(), []);
      s.outbox.enqueue(outboxMsg('g1', { peer: 'gamma', nextAttemptAt: T0 + 30 }));
      s.outbox.enqueue(outboxMsg('b1', { nextAttemptAt: T0 + 50 }));
      s.outbox.enqueue(outboxMsg('b2', { nextAttemptAt: T0 + 20 }));
      s.outbox.enqueue(outboxMsg('a1', { peer: 'alpha-2', nextAttemptAt: T0 + 5 }));
      s.outbox.enqueue(outboxMsg('d1', { peer: 'delta', nextAttemptAt: T0 + 10 }));
      s.outbox.markDelivered('d1', T0);
      s.outbox.markDelivered('a1', T0);
      assert.deepEqual(s.outbox.duePerPeer(), [{ peer: 'beta', nextDueAt: T0 + 20 }, { peer: 'gamma', nextDueAt: T0 + 30 }]);
      s.outbox.markDelivered('b2', T0);
      assert.deepEqual(s.outbox.duePerPeer(), [{ peer: 'beta', nextDueAt: T0 + 50 }, { peer: 'gamma', nextDueAt: T0 + 30 }]);
    }));

    test('purgePending deletes pending messages (all or one peer) and keeps delivered ones', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('b1'));
      s.outbox.enqueue(outboxMsg('b2'));
      s.outbox.enqueue(outboxMsg('g1', { peer: 'gamma' }));
      s.outbox.enqueue(outboxMsg('done'));
      s.outbox.markDelivered('done', T0);
      assert.equal(s.outbox.purgePending('beta'), 2);
      assert.deepEqual(ids(s.outbox.listPending()), ['g1']);
      assert.equal(s.outbox.purgePending(), 1);
      assert.equal(s.outbox.purgePending(), 0);
      assert.equal(s.outbox.get('done')?.state, 'delivered');
    }));

    test('withdraw deletes one pending, unleased message and returns it; never a leased or delivered one', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('free'));
      s.outbox.enqueue(outboxMsg('held'));
      s.outbox.enqueue(outboxMsg('done'));
      s.outbox.markDelivered('done', T0);
      assert.ok(s.outbox.claim('held', T0, LEASE));
      assert.equal(s.outbox.withdraw('free', T0)?.id, 'free');
      assert.equal(s.outbox.get('free'), null);
      assert.equal(s.outbox.withdraw('free', T0), null);
      assert.equal(s.outbox.withdraw('held', T0), null);
      assert.equal(s.outbox.withdraw('done', T0), null);
      assert.equal(s.outbox.get('done')?.state, 'delivered');
      assert.equal(s.outbox.withdraw('held', T0 + LEASE)?.id, 'held');
      assert.deepEqual(ids(s.outbox.listPending()), []);
    }));

    test('purgeExpired removes and returns pending messages whose expiresAt <= now, oldest expiry first', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('edge', { expiresAt: T0 + 200, createdAt: T0 - 1 }));
      s.outbox.enqueue(outboxMsg('gone', { expiresAt: T0 + 100 }));
      s.outbox.enqueue(outboxMsg('stays', { expiresAt: T0 + 201 }));
      s.outbox.enqueue(outboxMsg('delivered', { expiresAt: T0 + 100 }));
      s.outbox.markDelivered('delivered', T0);
      const purged = s.outbox.purgeExpired(T0 + 200);
      assert.deepEqual(ids(purged), ['gone', 'edge']);
      assert.equal(purged[0]?.envelope, outboxMsg('gone').envelope);
      assert.equal(s.outbox.get('gone'), null);
      assert.deepEqual(ids(s.outbox.listPending()), ['stays']);
      assert.equal(s.outbox.get('delivered')?.state, 'delivered');
      assert.deepEqual(s.outbox.purgeExpired(T0 + 200), []);
    }));

    test('purgeExpired leaves a message leased by someone else until its lease ends, unless it is the caller\'s own', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('inflight', { expiresAt: T0 + 100 }));
      s.outbox.enqueue(outboxMsg('mine', { expiresAt: T0 + 100 }));
      assert.ok(s.outbox.claim('inflight', T0, 1_000));
      assert.ok(s.outbox.claim('mine', T0, 1_000));
      assert.deepEqual(ids(s.outbox.purgeExpired(T0 + 200)), [], 'both leased: a request may be in flight');
      assert.deepEqual(ids(s.outbox.purgeExpired(T0 + 200, 'mine')), ['mine']);
      assert.equal(s.outbox.get('inflight')?.state, 'pending');
      assert.deepEqual(ids(s.outbox.purgeExpired(T0 + 1_000)), ['inflight'], 'purged once the lease ran out');
    }));

    test('pruneDelivered deletes delivered rows older than `before` only', () => withStore(makeStore, (s) => {
      for (const id of ['old', 'new', 'pending']) s.outbox.enqueue(outboxMsg(id));
      s.outbox.markDelivered('old', T0 + 10);
      s.outbox.markDelivered('new', T0 + 20);
      assert.equal(s.outbox.pruneDelivered(T0 + 20), 1);
      assert.equal(s.outbox.get('old'), null);
      assert.equal(s.outbox.get('new')?.state, 'delivered');
      assert.equal(s.outbox.get('pending')?.state, 'pending');
      assert.equal(s.outbox.enqueue(outboxMsg('old')), true, 'a pruned id can be enqueued again');
    }));
  });
}
