/**
 * The hand-off worker never throws past a row: whatever goes wrong while a message is handed off is
 * a counted attempt with backoff, and after HAND_OFF_MAX_ATTEMPTS the message is failed for good,
 * with an event and an audit entry. A real node (SQLite file in a temp home), a manual clock, and
 * adapters that fail the way a buggy adapter does (throwing instead of reporting).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { AgentDelivery, HandOff } from '../ports/agent-delivery.ts';
import type { NewInboxMessage } from '../ports/store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { handOffDue, HAND_OFF_MAX_ATTEMPTS } from './hand-off-worker.ts';
import { initHome } from './init-home.ts';
import { openNode, type MeshNode } from './mesh-node.ts';

const T0 = Date.UTC(2026, 0, 1);
const LEASE_MS = 40_000;
/** Past the longest backoff step and the lease: the row is due again. */
const LATER_MS = 300_001;
const ID = 'msg_5F1C3A9E-7B2D-4E8F-9A6B-0C1D2E3F4A5B';

/** What bash's build_mesh_response sends: no replyTo, nonce or ttl. */
const BASH_RESPONSE = JSON.stringify({
  protocol: 'mesh/1.0', id: ID, timestamp: '2026-01-01T00:00:00.000Z', from: 'alpha', to: 'beta', type: 'response',
  correlationId: 'msg_00000000-0000-4000-8000-000000000000', replyContext: null, payload: { subject: 'Response', body: 'done' },
});

function row(envelope: string, over: Partial<NewInboxMessage> = {}): NewInboxMessage {
  return {
    id: ID, from: 'alpha', to: 'beta', type: 'response', correlationId: null, conversationId: null, idempotencyKey: null,
    subject: 'Response', envelope, body: 'done', auth: 'hmac', receivedAt: T0, deliveryState: 'pending', nextDeliveryAt: T0, ...over,
  };
}

describe('hand-off worker: every outcome is recorded', () => {
  let root: string;
  let node: MeshNode;
  let clock: ManualClock;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mesh-hand-off-'));
    initHome({ home: root, agent: 'beta' });
    clock = new ManualClock(T0);
    node = openNode({ home: root, env: {}, clock });
  });
  afterEach(async () => {
    await node.close();
    rmSync(root, { recursive: true, force: true });
  });

  const events = (type: string) => node.store.events.after(0).filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

  test('an adapter that throws: each throw is a counted attempt; after the last one the message is failed for good', async () => {
    node.store.inbox.insert(row(BASH_RESPONSE));
    const given: HandOff[] = [];
    const buggy: AgentDelivery = {
      name: 'buggy',
      deliver: (h) => {
        given.push(h);
        throw new TypeError("Cannot read properties of undefined (reading 'url')");
      },
    };
    for (let n = 1; n <= HAND_OFF_MAX_ATTEMPTS; n++) {
      assert.equal(await handOffDue(node, buggy, LEASE_MS), 1, `attempt ${n} is made`);
      const m = node.store.inbox.get(ID);
      assert.equal(m?.deliveryAttempts, n);
      assert.equal(m.deliveryState, n < HAND_OFF_MAX_ATTEMPTS ? 'pending' : 'failed');
      assert.equal(m.deliveryError, 'unexpected error during hand-off (TypeError)');
      if (n === 1) assert.equal(await handOffDue(node, buggy, LEASE_MS), 0, 'backed off: not due again at once');
      clock.advance(LATER_MS);
    }
    assert.equal(await handOffDue(node, buggy, LEASE_MS), 0, 'a failed message is not tried again');
    assert.equal(given.length, HAND_OFF_MAX_ATTEMPTS);
    // The adapter got the normalised envelope, not the raw text's missing fields.
    assert.deepEqual([given[0]?.envelope.replyTo, given[0]?.envelope.nonce, given[0]?.envelope.ttl], [null, null, 300]);

    const failed = events('message.hand_off_failed');
    assert.equal(failed.length, HAND_OFF_MAX_ATTEMPTS);
    assert.deepEqual(failed.map((e) => e['permanent']), [...Array<boolean>(HAND_OFF_MAX_ATTEMPTS - 1).fill(false), true]);
    const audit = node.store.audit.query({ id: ID, status: 'hand_off_failed' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.detail, `buggy, attempt ${HAND_OFF_MAX_ATTEMPTS}: unexpected error during hand-off (TypeError)`);
    assert.equal(audit[0]?.signed, false);
  });

  test('an adapter whose promise rejects counts the same way', async () => {
    node.store.inbox.insert(row(BASH_RESPONSE));
    const rejecting: AgentDelivery = { name: 'rejecting', deliver: () => Promise.reject(new RangeError('boom')) };
    assert.equal(await handOffDue(node, rejecting, LEASE_MS), 1);
    const m = node.store.inbox.get(ID);
    assert.deepEqual([m?.deliveryState, m?.deliveryAttempts, m?.deliveryError], ['pending', 1, 'unexpected error during hand-off (RangeError)']);
    assert.equal(m?.nextDeliveryAt, T0 + 1_000, 'first backoff step');
  });

  test('a stored envelope the schema no longer accepts is failed at once, with the reason', async () => {
    node.store.inbox.insert(row('{"protocol":"mesh/1.0","id":"nope"}'));
    let called = false;
    const adapter: AgentDelivery = { name: 'never', deliver: () => ((called = true), Promise.resolve({ ok: true, reply: null })) };
    assert.equal(await handOffDue(node, adapter, LEASE_MS), 1);
    assert.equal(called, false);
    const m = node.store.inbox.get(ID);
    assert.equal(m?.deliveryState, 'failed');
    assert.match(m.deliveryError ?? '', /^stored envelope cannot be handed off: id: /);
    assert.deepEqual(events('message.hand_off_failed').map((e) => e['permanent']), [true]);
    assert.equal(node.store.audit.query({ id: ID, status: 'hand_off_failed' }).length, 1);
  });

  test('a handler answer that cannot be sent (sender gone from the registry) leaves the message handed off, audited', async () => {
    const request = JSON.stringify({
      protocol: 'mesh/1.0', id: ID, timestamp: '2026-01-01T00:00:00.000Z', from: 'ghost', to: 'beta', type: 'request',
      payload: { subject: 'q', body: 'q?' },
    });
    node.store.inbox.insert(row(request, { from: 'ghost', type: 'request' }));
    const answering: AgentDelivery = { name: 'answering', deliver: () => Promise.resolve({ ok: true, reply: 'the answer' }) };
    assert.equal(await handOffDue(node, answering, LEASE_MS), 1);
    const m = node.store.inbox.get(ID);
    assert.deepEqual([m?.deliveryState, m?.deliveryAttempts], ['delivered', 0]);
    const audit = node.store.audit.query({ id: ID, status: 'reply_failed' });
    assert.deepEqual(audit.map((a) => a.detail), ['handler answer not sent: UNKNOWN_AGENT']);
  });
});
