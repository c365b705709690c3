import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../../src/protocol/errors.ts';
import { conv, request, response, round } from './conversation-fixtures.ts';
import { T0, auditEntry, ids, inboxMsg, outboxMsg, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

export function transactionContract(makeStore: MakeStore): void {
  describe('transactions', () => {
    test('returns the callback value and commits', () => withStore(makeStore, (s) => {
      const n = s.transaction(() => {
        s.outbox.enqueue(outboxMsg('m1'));
        s.audit.append(auditEntry({ id: 'm1', status: 'queued' }));
        return 42;
      });
      assert.equal(n, 42);
      assert.equal(s.outbox.get('m1')?.id, 'm1');
      assert.equal(s.audit.query({ id: 'm1' }).length, 1);
    }));

    test('afterCommit runs after the outermost commit, in order; never for what rolled back', () => withStore(makeStore, (s) => {
      const seen: string[] = [];
      s.afterCommit(() => seen.push('outside'));
      assert.deepEqual(seen, ['outside'], 'outside a transaction: at once');
      s.transaction(() => {
        s.afterCommit(() => seen.push('outer-1'));
        assert.throws(() => s.transaction(() => {
          s.afterCommit(() => seen.push('rolled-back'));
          throw new Error('inner');
        }));
        s.transaction(() => s.afterCommit(() => seen.push('inner-kept')));
        s.afterCommit(() => seen.push('outer-2'));
        assert.deepEqual(seen, ['outside'], 'nothing runs before the commit');
      });
      assert.deepEqual(seen, ['outside', 'outer-1', 'inner-kept', 'outer-2']);
      assert.throws(() => s.transaction(() => {
        s.afterCommit(() => seen.push('never'));
        throw new Error('outer');
      }));
      s.transaction(() => s.afterCommit(() => {
        throw new Error('a listener that throws');
      }));
      assert.deepEqual(seen, ['outside', 'outer-1', 'inner-kept', 'outer-2']);
    }));

    test('a throw rolls back every write and rethrows the same error', () => withStore(makeStore, (s) => {
      s.kv.set('k', 'before', T0);
      const boom = new Error('boom');
      assert.throws(() => s.transaction(() => {
        s.outbox.enqueue(outboxMsg('m1'));
        s.outbox.claimDue(T0, 10, 1000);
        s.inbox.insert(inboxMsg('i1'));
        s.audit.append(auditEntry());
        s.kv.set('k', 'after', T0);
        s.kv.delete('k');
        s.events.append('message.queued', { id: 'm1' }, T0);
        s.nonces.checkAndRecord('alpha', 'n1', T0, T0 + 10);
        s.conversations.create(conv('c1'));
        s.conversations.addRound(round('c1', 1, { question: 'rolled back' }));
        s.conversations.addResponse(response('r1'));
        s.conversations.putRequest(request('q1'));
        s.sessions.appendMessage({
          sessionKey: 's1', from: 'a', to: 'b', type: 't', subject: 's', body: 'b', messageId: null, correlationId: null, ts: T0,
        }, 5);
        throw boom;
      }), (e) => e === boom);
      assert.equal(s.outbox.get('m1'), null);
      assert.equal(s.inbox.get('i1'), null);
      assert.deepEqual(s.audit.query(), []);
      assert.equal(s.kv.get('k'), 'before');
      assert.equal(s.events.latestSeq(), 0);
      assert.deepEqual(s.events.after(0), []);
      assert.equal(s.nonces.checkAndRecord('alpha', 'n1', T0, T0 + 10), true);
      assert.equal(s.conversations.get('c1'), null);
      assert.deepEqual(s.conversations.rounds('c1'), []);
      assert.equal(s.conversations.response('r1'), null);
      assert.equal(s.conversations.request('q1'), null);
      assert.deepEqual(s.conversations.search({ query: 'rolled back' }), [], 'the search index rolls back too');
      assert.deepEqual(s.sessions.messages('s1'), []);
      assert.equal(s.events.append('x', null, T0), 1, 'a rolled-back append leaves no gap in seq');
    }));

    test('a rolled-back requeue puts the dead letter back', () => withStore(makeStore, (s) => {
      s.outbox.enqueue(outboxMsg('m1'));
      s.deadLetters.moveFromOutbox('m1', 'circuit_open', T0);
      assert.throws(() => s.transaction(() => {
        s.deadLetters.requeue('m1', T0 + 1);
        throw new Error('abort');
      }));
      assert.equal(s.deadLetters.get('m1')?.reason, 'circuit_open');
      assert.equal(s.outbox.get('m1'), null);
    }));

    test('nested calls join the outer transaction', () => withStore(makeStore, (s) => {
      assert.throws(() => s.transaction(() => {
        s.transaction(() => {
          s.outbox.enqueue(outboxMsg('inner'));
        });
        s.outbox.enqueue(outboxMsg('outer'));
        throw new Error('outer fails');
      }));
      assert.deepEqual(s.outbox.listPending(), [], 'the committed inner call is undone with the outer one');
      s.transaction(() => s.transaction(() => s.transaction(() => s.outbox.enqueue(outboxMsg('deep')))));
      assert.deepEqual(ids(s.outbox.listPending()), ['deep']);
    }));

    test('an inner failure caught by the outer callback undoes only the inner work', () => withStore(makeStore, (s) => {
      s.transaction(() => {
        s.outbox.enqueue(outboxMsg('before'));
        assert.throws(() => s.transaction(() => {
          s.outbox.enqueue(outboxMsg('inner'));
          s.outbox.markDelivered('before', T0);
          throw new Error('inner fails');
        }), /inner fails/);
        s.outbox.enqueue(outboxMsg('after'));
      });
      assert.deepEqual(ids(s.outbox.listPending()), ['before', 'after']);
      assert.equal(s.outbox.get('inner'), null);
    }));

    test('the store stays usable after a rolled-back transaction', () => withStore(makeStore, (s) => {
      assert.throws(() => s.transaction(() => {
        s.outbox.enqueue(outboxMsg('m1'));
        throw new Error('x');
      }));
      assert.equal(s.outbox.enqueue(outboxMsg('m1')), true);
      assert.equal(s.transaction(() => s.outbox.enqueue(outboxMsg('m2'))), true);
      assert.deepEqual(ids(s.outbox.listPending()), ['m1', 'm2']);
    }));

    test('an async callback is refused and its synchronous writes rolled back', () => withStore(makeStore, (s) => {
      assert.throws(() => s.transaction(() => {
        s.outbox.enqueue(outboxMsg('m1'));
        return Promise.resolve(1);
      }), (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT');
      assert.equal(s.outbox.get('m1'), null);
    }));
  });
}
