import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { T0, ids, inboxMsg, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

const LEASE = 10_000;

export function inboxContract(makeStore: MakeStore): void {
  describe('inbox', () => {
    test('insert stores a message with delivery defaults', () => withStore(makeStore, (s) => {
      const msg = inboxMsg('m1', { correlationId: 'req1', conversationId: 'conv_1_abcd', idempotencyKey: 'k1' });
      assert.deepEqual(s.inbox.insert(msg), { inserted: true });
      assert.deepEqual(s.inbox.get('m1'), {
        ...msg, sealedAttachments: null, readAt: null, deliveryAttempts: 0, deliveryError: null, leaseUntil: 0,
        alertDecision: null, incidentId: null,
      });
      assert.equal(s.inbox.get('missing'), null);
    }));

    test('sealed attachments are kept with the message and come back from every read', () => withStore(makeStore, (s) => {
      const sealed = '[{"type":"inline","encoding":"base64","data":"QUJD","filename":"abc.txt"}]';
      s.inbox.insert(inboxMsg('m1', { sealedAttachments: sealed, deliveryState: 'pending', correlationId: 'req' }));
      assert.equal(s.inbox.get('m1')?.sealedAttachments, sealed);
      assert.equal(s.inbox.list()[0]?.sealedAttachments, sealed);
      assert.equal(s.inbox.findByCorrelation('req')[0]?.sealedAttachments, sealed);
      assert.equal(s.inbox.claimForDelivery(T0, 1, LEASE)[0]?.sealedAttachments, sealed);
    }));

    test('setAlertTriage records an alert\'s decision once; every read returns it', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('m1', { type: 'alert', deliveryState: 'pending' }));
      s.inbox.insert(inboxMsg('m2', { type: 'alert', deliveryState: 'pending' }));
      assert.equal(s.inbox.setAlertTriage('missing', 'new', 'inc_x'), false);
      assert.equal(s.inbox.setAlertTriage('m1', 'suppressed', 'inc_20260101_beta_gateway_0a1b2c3d'), true);
      assert.equal(s.inbox.setAlertTriage('m1', 'new', 'inc_other'), false, 'the first decision stays');
      assert.equal(s.inbox.setAlertTriage('m2', 'recovery', null), true);
      const m1 = s.inbox.get('m1');
      assert.deepEqual([m1?.alertDecision, m1?.incidentId], ['suppressed', 'inc_20260101_beta_gateway_0a1b2c3d']);
      assert.deepEqual(s.inbox.list().map((m) => [m.id, m.alertDecision, m.incidentId]),
        [['m1', 'suppressed', 'inc_20260101_beta_gateway_0a1b2c3d'], ['m2', 'recovery', null]]);
      assert.deepEqual(s.inbox.claimForDelivery(T0, 5, LEASE).map((m) => m.alertDecision), ['suppressed', 'recovery']);
      s.inbox.markHandedOff('m1', T0);
      assert.equal(s.inbox.get('m1')?.alertDecision, 'suppressed', 'the hand-off keeps it');
    }));

    test('a duplicate id or (from, idempotencyKey) is refused with the existing id', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('m1', { idempotencyKey: 'k1' }));
      assert.deepEqual(s.inbox.insert(inboxMsg('m1', { body: 'changed' })), { inserted: false, existingId: 'm1' });
      assert.equal(s.inbox.get('m1')?.body, 'body m1');
      assert.deepEqual(s.inbox.insert(inboxMsg('m2', { idempotencyKey: 'k1' })), { inserted: false, existingId: 'm1' });
      assert.equal(s.inbox.get('m2'), null);
      assert.deepEqual(s.inbox.insert(inboxMsg('m3', { idempotencyKey: 'k1', from: 'gamma' })), { inserted: true },
        'keys are per sender');
      assert.deepEqual(s.inbox.insert(inboxMsg('m4')), { inserted: true });
      assert.deepEqual(s.inbox.insert(inboxMsg('m5')), { inserted: true }, 'null keys never collide');
    }));

    test('findByCorrelation returns the responses to a request, oldest first', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('r2', { correlationId: 'req', receivedAt: T0 + 2 }));
      s.inbox.insert(inboxMsg('r1', { correlationId: 'req', receivedAt: T0 + 1 }));
      s.inbox.insert(inboxMsg('other', { correlationId: 'req-2' }));
      s.inbox.insert(inboxMsg('none'));
      assert.deepEqual(ids(s.inbox.findByCorrelation('req')), ['r1', 'r2']);
      assert.deepEqual(s.inbox.findByCorrelation('re'), []);
    }));

    test('list filters by unread, from, type and since; oldest first; limit', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('a', { receivedAt: T0 + 1 }));
      s.inbox.insert(inboxMsg('b', { receivedAt: T0 + 2, from: 'gamma', type: 'alert' }));
      s.inbox.insert(inboxMsg('c', { receivedAt: T0 + 3, type: 'alert' }));
      s.inbox.markRead(['a'], T0 + 10);
      assert.deepEqual(ids(s.inbox.list()), ['a', 'b', 'c']);
      assert.deepEqual(ids(s.inbox.list({ unread: true })), ['b', 'c']);
      assert.deepEqual(ids(s.inbox.list({ from: 'alpha' })), ['a', 'c']);
      assert.deepEqual(ids(s.inbox.list({ type: 'alert' })), ['b', 'c']);
      assert.deepEqual(ids(s.inbox.list({ since: T0 + 2 })), ['b', 'c']);
      assert.deepEqual(ids(s.inbox.list({ type: 'alert', from: 'alpha', unread: true })), ['c']);
      assert.deepEqual(ids(s.inbox.list({ limit: 2 })), ['a', 'b']);
    }));

    test('list after a message id continues behind it in list order, ties by arrival', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('late', { receivedAt: T0 + 5 }));
      s.inbox.insert(inboxMsg('x', { receivedAt: T0 + 1 }));
      s.inbox.insert(inboxMsg('tie1', { receivedAt: T0 + 3 }));
      s.inbox.insert(inboxMsg('tie2', { receivedAt: T0 + 3 }));
      s.inbox.markRead(['tie2'], T0 + 9);
      assert.deepEqual(ids(s.inbox.list()), ['x', 'tie1', 'tie2', 'late']);
      assert.deepEqual(ids(s.inbox.list({ after: 'x' })), ['tie1', 'tie2', 'late']);
      assert.deepEqual(ids(s.inbox.list({ after: 'tie1' })), ['tie2', 'late']);
      assert.deepEqual(ids(s.inbox.list({ after: 'tie1', unread: true })), ['late']);
      assert.deepEqual(ids(s.inbox.list({ after: 'x', limit: 1 })), ['tie1']);
      assert.deepEqual(ids(s.inbox.list({ after: 'late' })), []);
      assert.deepEqual(ids(s.inbox.list({ after: 'missing' })), [], 'an unknown cursor lists nothing');
    }));

    test('markRead counts newly read messages only', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('a'));
      s.inbox.insert(inboxMsg('b'));
      assert.equal(s.inbox.markRead(['a', 'a', 'missing'], T0 + 5), 1);
      assert.equal(s.inbox.get('a')?.readAt, T0 + 5);
      assert.equal(s.inbox.markRead(['a', 'b'], T0 + 6), 1);
      assert.equal(s.inbox.get('a')?.readAt, T0 + 5, 'first read time is kept');
      assert.equal(s.inbox.markRead([], T0), 0);
    }));

    test('claimForDelivery leases due pending hand-offs, oldest first', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('p2', { deliveryState: 'pending', receivedAt: T0 + 2 }));
      s.inbox.insert(inboxMsg('p1', { deliveryState: 'pending', receivedAt: T0 + 1 }));
      s.inbox.insert(inboxMsg('later', { deliveryState: 'pending', nextDeliveryAt: T0 + 50 }));
      s.inbox.insert(inboxMsg('pull', { deliveryState: 'none' }));
      const got = s.inbox.claimForDelivery(T0, 10, LEASE);
      assert.deepEqual(ids(got), ['p1', 'p2']);
      assert.equal(got[0]?.leaseUntil, T0 + LEASE);
      assert.equal(s.inbox.get('p1')?.leaseUntil, T0 + LEASE);
      assert.deepEqual(ids(s.inbox.claimForDelivery(T0 + 50, 10, LEASE)), ['later'], 'leased ones are skipped');
      assert.deepEqual(ids(s.inbox.claimForDelivery(T0 + LEASE, 1, LEASE)), ['p1']);
      assert.deepEqual(s.inbox.claimForDelivery(T0 + LEASE, 0, LEASE), []);
    }));

    test('markHandedOff ends the hand-off', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('m1', { deliveryState: 'pending' }));
      s.inbox.claimForDelivery(T0, 1, LEASE);
      s.inbox.markHandedOff('m1', T0 + 1);
      const m = s.inbox.get('m1');
      assert.equal(m?.deliveryState, 'delivered');
      assert.equal(m.leaseUntil, 0);
      assert.deepEqual(s.inbox.claimForDelivery(T0 + LEASE, 10, LEASE), []);
    }));

    test('recordDeliveryFailure: transient reschedules, permanent gives up', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('t', { deliveryState: 'pending' }));
      s.inbox.insert(inboxMsg('p', { deliveryState: 'pending' }));
      s.inbox.claimForDelivery(T0, 10, LEASE);
      s.inbox.recordDeliveryFailure('t', 'gateway 502', T0 + 100, false);
      s.inbox.recordDeliveryFailure('p', 'gateway 400', T0 + 100, true);
      const t = s.inbox.get('t');
      assert.equal(t?.deliveryState, 'pending');
      assert.equal(t.deliveryAttempts, 1);
      assert.equal(t.deliveryError, 'gateway 502');
      assert.equal(t.nextDeliveryAt, T0 + 100);
      assert.equal(t.leaseUntil, 0);
      const p = s.inbox.get('p');
      assert.equal(p?.deliveryState, 'failed');
      assert.equal(p.deliveryAttempts, 1);
      assert.deepEqual(s.inbox.claimForDelivery(T0 + 99, 10, LEASE), []);
      assert.deepEqual(ids(s.inbox.claimForDelivery(T0 + 100, 10, LEASE)), ['t']);
    }));

    test('retryDelivery puts a failed hand-off back in line, and only a failed one', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('f', { deliveryState: 'pending' }));
      s.inbox.insert(inboxMsg('p', { deliveryState: 'pending' }));
      s.inbox.insert(inboxMsg('pull', { deliveryState: 'none' }));
      s.inbox.claimForDelivery(T0, 10, LEASE);
      s.inbox.recordDeliveryFailure('f', 'handler exited with code 64', T0 + 100, true);
      s.inbox.recordDeliveryFailure('p', 'gateway 502', T0 + 100, false);
      assert.equal(s.inbox.retryDelivery('p', T0 + 5), false, 'still pending: nothing to retry');
      assert.equal(s.inbox.retryDelivery('pull', T0 + 5), false);
      assert.equal(s.inbox.retryDelivery('missing', T0 + 5), false);
      assert.equal(s.inbox.retryDelivery('f', T0 + 5), true);
      const f = s.inbox.get('f');
      assert.deepEqual(
        [f?.deliveryState, f?.deliveryAttempts, f?.nextDeliveryAt, f?.leaseUntil, f?.deliveryError],
        ['pending', 0, T0 + 5, 0, 'handler exited with code 64'],
      );
      assert.deepEqual(ids(s.inbox.claimForDelivery(T0 + 5, 10, LEASE)), ['f']);
      assert.equal(s.inbox.retryDelivery('f', T0 + 6), false, 'pending again: a second retry changes nothing');
    }));

    test('prune deletes messages received before the cut-off', () => withStore(makeStore, (s) => {
      s.inbox.insert(inboxMsg('old', { receivedAt: T0 }));
      s.inbox.insert(inboxMsg('new', { receivedAt: T0 + 10 }));
      assert.equal(s.inbox.prune(T0 + 10), 1);
      assert.deepEqual(ids(s.inbox.list()), ['new']);
    }));
  });

  describe('nonces', () => {
    test('checkAndRecord: exact (sender, nonce) matches only', () => withStore(makeStore, (s) => {
      const n = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
      assert.equal(s.nonces.checkAndRecord('alpha', n, T0, T0 + 100), true);
      assert.equal(s.nonces.checkAndRecord('alpha', n, T0 + 1, T0 + 101), false);
      assert.equal(s.nonces.checkAndRecord('alpha', n.slice(4, 20), T0, T0 + 100), true, 'a substring is a new nonce');
      assert.equal(s.nonces.checkAndRecord('alpha', `${n}00`, T0, T0 + 100), true, 'a superstring is a new nonce');
      assert.equal(s.nonces.checkAndRecord('gamma', n, T0, T0 + 100), true, 'nonces are per sender');
      assert.equal(s.nonces.checkAndRecord('alph', n, T0, T0 + 100), true);
    }));

    test('prune forgets expired nonces', () => withStore(makeStore, (s) => {
      s.nonces.checkAndRecord('alpha', 'n1', T0, T0 + 100);
      s.nonces.checkAndRecord('alpha', 'n2', T0, T0 + 200);
      assert.equal(s.nonces.prune(T0 + 100), 1);
      assert.equal(s.nonces.checkAndRecord('alpha', 'n1', T0 + 150, T0 + 250), true);
      assert.equal(s.nonces.checkAndRecord('alpha', 'n2', T0 + 150, T0 + 250), false);
    }));
  });
}
