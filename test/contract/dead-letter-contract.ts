import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeadLetter } from '../../src/ports/store.ts';
import { HOUR, T0, ids, outboxMsg, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

function letter(id: string, over: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id, peer: 'beta', type: 'request', envelope: `{"id":"${id}"}`, sessionKey: null, reason: 'circuit_open',
    attempts: 3, lastError: 'HTTP 503', createdAt: T0, expiresAt: T0 + HOUR, failedAt: T0 + 10, ...over,
  };
}

export function deadLetterContract(makeStore: MakeStore): void {
  describe('dead letters', () => {
    test('moveFromOutbox moves a pending message with its bytes, attempts and last error', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('m1', { sessionKey: 'hook:x', createdAt: T0 + 1, expiresAt: T0 + 99 }));
      s.outbox.recordFailure('m1', 'HTTP 400', T0 + 5);
      assert.equal(s.deadLetters.moveFromOutbox('m1', 'client_error_400', T0 + 6), true);
      assert.equal(s.outbox.get('m1'), null);
      assert.deepEqual(s.deadLetters.get('m1'), {
        id: 'm1', peer: 'beta', type: 'request', envelope: outboxMsg('m1').envelope, sessionKey: 'hook:x',
        reason: 'client_error_400', attempts: 1, lastError: 'HTTP 400', createdAt: T0 + 1, expiresAt: T0 + 99,
        failedAt: T0 + 6,
      });
      assert.equal(s.deadLetters.moveFromOutbox('m1', 'again', T0 + 7), false);
      assert.equal(s.deadLetters.moveFromOutbox('missing', 'x', T0), false);
      s.outbox.enqueue(outboxMsg('done'));
      s.outbox.markDelivered('done', T0);
      assert.equal(s.deadLetters.moveFromOutbox('done', 'x', T0), false, 'only pending messages move');
      assert.equal(s.outbox.get('done')?.state, 'delivered');
    }));

    test('put inserts or replaces; get returns null when missing', () => withStore(makeStore, (s) => {
      assert.equal(s.deadLetters.get('d1'), null);
      s.deadLetters.put(letter('d1'));
      assert.deepEqual(s.deadLetters.get('d1'), letter('d1'));
      s.deadLetters.put(letter('d1', { reason: 'all_retries_exhausted', attempts: 5 }));
      assert.deepEqual(s.deadLetters.get('d1'), letter('d1', { reason: 'all_retries_exhausted', attempts: 5 }));
      assert.equal(s.deadLetters.list().length, 1);
    }));

    test('list: oldest failure first, per peer, limited; counts per peer', () => withStore(makeStore, (s) => {
      s.deadLetters.put(letter('c', { failedAt: T0 + 3 }));
      s.deadLetters.put(letter('a', { failedAt: T0 + 1, peer: 'gamma' }));
      s.deadLetters.put(letter('b', { failedAt: T0 + 2 }));
      assert.deepEqual(ids(s.deadLetters.list()), ['a', 'b', 'c']);
      assert.deepEqual(ids(s.deadLetters.list({ peer: 'beta' })), ['b', 'c']);
      assert.deepEqual(ids(s.deadLetters.list({ limit: 1 })), ['a']);
      assert.deepEqual(s.deadLetters.counts(), { beta: 2, gamma: 1 });
    }));

    test('requeue puts the same id and bytes back in the outbox, due now, attempts reset', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('m1', { createdAt: T0 + 1, expiresAt: T0 + HOUR }));
      s.outbox.recordFailure('m1', 'HTTP 503', T0 + 5);
      s.deadLetters.moveFromOutbox('m1', 'circuit_open', T0 + 6);
      assert.equal(s.deadLetters.requeue('m1', T0 + 100), true);
      assert.equal(s.deadLetters.get('m1'), null);
      assert.deepEqual(s.outbox.get('m1'), {
        ...outboxMsg('m1', { createdAt: T0 + 1, expiresAt: T0 + HOUR, nextAttemptAt: T0 + 100 }),
        state: 'pending', attempts: 0, lastError: null, leaseUntil: 0, deliveredAt: null,
      });
      assert.deepEqual(ids(s.outbox.claimDue(T0 + 100, 10, 1000)), ['m1']);
      assert.equal(s.deadLetters.requeue('m1', T0 + 100), false);
      assert.equal(s.deadLetters.requeue('missing', T0), false);
    }));

    test('requeue replaces a stale outbox row with the same id', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('m1', { envelope: 'old' }));
      s.outbox.markDelivered('m1', T0);
      s.deadLetters.put(letter('m1', { envelope: 'dead bytes' }));
      assert.equal(s.deadLetters.requeue('m1', T0 + 1), true);
      assert.equal(s.outbox.get('m1')?.envelope, 'dead bytes');
      assert.equal(s.outbox.get('m1')?.state, 'pending');
    }));

    test('remove, purge (all or one peer) and purgeExpired', () => withStore(makeStore, (s) => {
      s.deadLetters.put(letter('b1'));
      s.deadLetters.put(letter('g1', { peer: 'gamma', expiresAt: T0 + 5, failedAt: T0 + 11 }));
      s.deadLetters.put(letter('b2', { expiresAt: T0 + 4, failedAt: T0 + 12 }));
      s.deadLetters.put(letter('g2', { peer: 'gamma' }));
      assert.equal(s.deadLetters.remove('b1'), true);
      assert.equal(s.deadLetters.remove('b1'), false);
      assert.deepEqual(ids(s.deadLetters.purgeExpired(T0 + 5)), ['b2', 'g1'], 'oldest expiry first');
      assert.deepEqual(ids(s.deadLetters.list()), ['g2']);
      s.deadLetters.put(letter('b3'));
      assert.equal(s.deadLetters.purge('gamma'), 1);
      assert.deepEqual(ids(s.deadLetters.list()), ['b3']);
      assert.equal(s.deadLetters.purge(), 1);
      assert.deepEqual(s.deadLetters.counts(), {});
    }));
  });
}
