import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/protocol/json.ts';
import type { BreakerRecord, IncidentRecord, PeerHealth } from '../../src/ports/store.ts';
import { T0, auditEntry, withStore } from './store-fixtures.ts';
import type { MakeStore } from './store-fixtures.ts';

function breaker(peer: string, over: Partial<BreakerRecord> = {}): BreakerRecord {
  return {
    peer, state: 'open', consecutiveFailures: 3, openedAt: T0, openUntil: T0 + 60_000, probeUntil: null,
    lastFailureAt: T0, lastSuccessAt: null, updatedAt: T0, ...over,
  };
}

function health(peer: string, over: Partial<PeerHealth> = {}): PeerHealth {
  return {
    peer, reachable: true, lastProbeAt: T0, latencyMs: 12.5, httpStatus: 200, consecutiveFailures: 0, lastOkAt: T0,
    detail: null, samples: [12.5], features: ['relay/1'], ...over,
  };
}

function incident(id: string, over: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    id, dedupKey: 'disk:host1', type: 'disk', scope: 'host1', host: 'host1', check: 'disk', summary: 'disk full on host1',
    status: 'active', firstSeen: T0, lastSeen: T0, alertCount: 1, affectedHosts: ['host1'], escalated: false,
    lastNotifiedAt: T0, windowCount: 1, notifications: 1, resolvedAt: null, resolvedBy: null, ...over,
  };
}

export function stateContract(makeStore: MakeStore): void {
  describe('audit', () => {
    test('append returns increasing seq; query is oldest first and round-trips every field', () => withStore(makeStore, (s) => {
      const a = s.audit.append(auditEntry({ detail: 'HTTP 200', signed: true, encrypted: true }));
      const b = s.audit.append(auditEntry({ direction: 'in', signed: false, correlationId: 'c1', conversationId: 'v1' }));
      assert.ok(b > a);
      assert.deepEqual(s.audit.query(), [
        { ...auditEntry({ detail: 'HTTP 200', signed: true, encrypted: true }), seq: a },
        { ...auditEntry({ direction: 'in', signed: false, correlationId: 'c1', conversationId: 'v1' }), seq: b },
      ]);
    }));

    test('query filters; agent matches from or to', () => withStore(makeStore, (s) => {
      s.audit.append(auditEntry({ ts: T0 + 1, id: 'm1', from: 'alpha', to: 'beta', status: 'sent' }));
      s.audit.append(auditEntry({ ts: T0 + 2, id: 'm2', from: 'beta', to: 'gamma', status: 'failed', type: 'alert' }));
      s.audit.append(auditEntry({ ts: T0 + 3, id: 'm3', from: 'gamma', to: 'alpha', correlationId: 'm1', status: 'received' }));
      s.audit.append(auditEntry({ ts: T0 + 4, id: null, from: null, to: null, direction: 'local', status: 'purged' }));
      const q = (f: Parameters<typeof s.audit.query>[0]): (string | null)[] => s.audit.query(f).map((e) => e.id);
      assert.deepEqual(q({ agent: 'alpha' }), ['m1', 'm3']);
      assert.deepEqual(q({ agent: 'beta' }), ['m1', 'm2']);
      assert.deepEqual(q({ from: 'beta' }), ['m2']);
      assert.deepEqual(q({ to: 'alpha' }), ['m3']);
      assert.deepEqual(q({ type: 'alert' }), ['m2']);
      assert.deepEqual(q({ status: 'purged' }), [null]);
      assert.deepEqual(q({ id: 'm1' }), ['m1']);
      assert.deepEqual(q({ correlationId: 'm1' }), ['m3']);
      assert.deepEqual(q({ since: T0 + 2, until: T0 + 3 }), ['m2', 'm3']);
      assert.deepEqual(q({ limit: 2 }), ['m1', 'm2']);
      assert.deepEqual(q({ agent: 'alpha', status: 'sent' }), ['m1']);
      const [first, second] = s.audit.query().map((e) => e.seq);
      assert.deepEqual(q({ afterSeq: first }), ['m2', 'm3', null]);
      assert.deepEqual(q({ afterSeq: second, limit: 1 }), ['m3'], 'a cursor with a page size');
      assert.deepEqual(q({ direction: 'local' }), [null]);
      assert.deepEqual(q({ order: 'desc' }), [null, 'm3', 'm2', 'm1']);
      assert.deepEqual(q({ order: 'desc', limit: 2 }), [null, 'm3']);
      assert.deepEqual(q({ order: 'desc', agent: 'alpha', limit: 1 }), ['m3']);
    }));

    test('tally counts per direction and status, with signed and encrypted counts, from a time on', () => withStore(makeStore, (s) => {
      assert.deepEqual(s.audit.tally(), []);
      s.audit.append(auditEntry({ ts: T0, status: 'sent', signed: true, encrypted: true }));
      s.audit.append(auditEntry({ ts: T0 + 1, status: 'sent', signed: false, encrypted: false }));
      s.audit.append(auditEntry({ ts: T0 + 2, status: 'sent', signed: true, encrypted: false }));
      s.audit.append(auditEntry({ ts: T0 + 3, direction: 'in', status: 'received', signed: true, encrypted: true }));
      s.audit.append(auditEntry({ ts: T0 + 4, direction: 'in', status: 'rejected_replay', signed: false }));
      assert.deepEqual(s.audit.tally(), [
        { direction: 'in', status: 'received', count: 1, signed: 1, encrypted: 1 },
        { direction: 'in', status: 'rejected_replay', count: 1, signed: 0, encrypted: 0 },
        { direction: 'out', status: 'sent', count: 3, signed: 2, encrypted: 1 },
      ]);
      assert.deepEqual(s.audit.tally(T0 + 2).map((t) => [t.status, t.count]), [['received', 1], ['rejected_replay', 1], ['sent', 1]]);
    }));

    test('prune deletes entries older than the cut-off; seq is never reused', () => withStore(makeStore, (s) => {
      s.audit.append(auditEntry({ ts: T0 }));
      const kept = s.audit.append(auditEntry({ ts: T0 + 10 }));
      assert.equal(s.audit.prune(T0 + 10), 1);
      assert.deepEqual(s.audit.query().map((e) => e.seq), [kept]);
      s.audit.prune(T0 + 100);
      assert.ok(s.audit.append(auditEntry()) > kept);
    }));
  });

  describe('breakers and peer health', () => {
    test('breakers: get, put (replace), list by peer', () => withStore(makeStore, (s) => {
      assert.equal(s.breakers.get('beta'), null);
      s.breakers.put(breaker('gamma', { state: 'half-open', probeUntil: T0 + 5 }));
      s.breakers.put(breaker('beta'));
      s.breakers.put(breaker('beta', { state: 'closed', consecutiveFailures: 0, openedAt: null, openUntil: null, lastSuccessAt: T0 + 9 }));
      assert.deepEqual(s.breakers.get('beta'),
        breaker('beta', { state: 'closed', consecutiveFailures: 0, openedAt: null, openUntil: null, lastSuccessAt: T0 + 9 }));
      assert.deepEqual(s.breakers.list().map((b) => [b.peer, b.state]), [['beta', 'closed'], ['gamma', 'half-open']]);
    }));

    test('peers: get, put (replace), list by peer', () => withStore(makeStore, (s) => {
      assert.equal(s.peers.get('beta'), null);
      s.peers.put(health('gamma'));
      s.peers.put(health('beta'));
      s.peers.put(health('beta', { reachable: false, latencyMs: null, httpStatus: null, consecutiveFailures: 2, detail: 'ECONNREFUSED' }));
      assert.deepEqual(s.peers.get('beta'),
        health('beta', { reachable: false, latencyMs: null, httpStatus: null, consecutiveFailures: 2, detail: 'ECONNREFUSED' }));
      assert.deepEqual(s.peers.get('gamma'), health('gamma'));
      assert.deepEqual(s.peers.list().map((h) => h.peer), ['beta', 'gamma']);
    }));

    test('peers: latency samples and features round-trip; null features stay null; reads are copies', () => withStore(makeStore, (s) => {
      s.peers.put(health('beta', { samples: [3, 1.5, 20], features: ['relay/1', 'forward/1'] }));
      s.peers.put(health('gamma', { samples: [], features: null }));
      assert.deepEqual(s.peers.get('beta')?.samples, [3, 1.5, 20]);
      assert.deepEqual(s.peers.get('beta')?.features, ['relay/1', 'forward/1']);
      assert.equal(s.peers.get('gamma')?.features, null);
      const read = s.peers.get('beta') as PeerHealth;
      read.samples.push(99);
      assert.deepEqual(s.peers.get('beta')?.samples, [3, 1.5, 20]);
    }));
  });

  describe('kv', () => {
    test('get, set (replace), delete; JSON values round-trip, Maps become objects', () => withStore(makeStore, (s) => {
      assert.equal(s.kv.get('routing'), null);
      s.kv.set('routing', { hub: 'alpha', relays: ['beta'], n: 2, ok: true, none: null }, T0);
      assert.deepEqual(s.kv.get('routing'), { hub: 'alpha', relays: ['beta'], n: 2, ok: true, none: null });
      s.kv.set('routing', 'replaced', T0 + 1);
      assert.equal(s.kv.get('routing'), 'replaced');
      s.kv.set('ordered', new Map<string, JsonValue>([['b', 1], ['a', new Map([['x', [1, 2]]])]]), T0);
      assert.deepEqual(s.kv.get('ordered'), { b: 1, a: { x: [1, 2] } });
      s.kv.set('zero', 0, T0);
      assert.equal(s.kv.get('zero'), 0);
      assert.equal(s.kv.delete('routing'), true);
      assert.equal(s.kv.delete('routing'), false);
      assert.equal(s.kv.get('routing'), null);
    }));

    test('a value read back is a copy', () => withStore(makeStore, (s) => {
      const v = { list: [1] };
      s.kv.set('k', v, T0);
      v.list.push(2);
      const got = s.kv.get('k') as { list: number[] };
      got.list.push(3);
      assert.deepEqual(s.kv.get('k'), { list: [1] });
    }));
  });

  describe('incidents', () => {
    test('put, get, findActive, list', () => withStore(makeStore, (s) => {
      assert.equal(s.incidents.get('i1'), null);
      assert.equal(s.incidents.findActive('disk:host1'), null);
      s.incidents.put(incident('i1', { affectedHosts: ['host1', 'host2'], escalated: true }));
      assert.deepEqual(s.incidents.get('i1'), incident('i1', { affectedHosts: ['host1', 'host2'], escalated: true }));
      assert.equal(s.incidents.findActive('disk:host1')?.id, 'i1');
      assert.equal(s.incidents.findActive('disk:host'), null);
      s.incidents.put(incident('i1', { status: 'resolved', resolvedAt: T0 + 5 }));
      assert.equal(s.incidents.findActive('disk:host1'), null);
      s.incidents.put(incident('i2', { firstSeen: T0 + 10, lastSeen: T0 + 10 }));
      s.incidents.put(incident('i3', { dedupKey: 'cpu:host1', firstSeen: T0 + 20 }));
      assert.equal(s.incidents.findActive('disk:host1')?.id, 'i2');
      assert.deepEqual(s.incidents.list().map((i) => i.id), ['i1', 'i2', 'i3']);
      assert.deepEqual(s.incidents.list({ status: 'active' }).map((i) => i.id), ['i2', 'i3']);
      assert.deepEqual(s.incidents.list({ status: 'active', limit: 1 }).map((i) => i.id), ['i2']);
    }));

    test('every field round-trips, also after an update', () => withStore(makeStore, (s) => {
      const open = incident('i1', { host: 'beta', check: 'gateway', summary: 'gateway on 10.0.0.5 down — 🔥 "quoted"' });
      s.incidents.put(open);
      assert.deepEqual(s.incidents.get('i1'), open);
      const updated = incident('i1', {
        host: 'beta', check: 'gateway', summary: open.summary, status: 'resolved', lastSeen: T0 + 90, alertCount: 4,
        escalated: true, lastNotifiedAt: T0 + 60, windowCount: 2, notifications: 2, resolvedAt: T0 + 90, resolvedBy: 'recovery',
      });
      s.incidents.put(updated);
      assert.deepEqual(s.incidents.get('i1'), updated);
      assert.deepEqual(s.incidents.list(), [updated]);
      s.incidents.put(incident('i2', { resolvedBy: 'operator', status: 'resolved', resolvedAt: T0 }));
      s.incidents.put(incident('i3', { resolvedBy: 'quiet', status: 'resolved', resolvedAt: T0 }));
      assert.deepEqual(s.incidents.list({ status: 'resolved' }).map((i) => i.resolvedBy), ['recovery', 'operator', 'quiet']);
    }));

    test('pruneResolved deletes resolved incidents resolved before the cut-off, never active ones', () => withStore(makeStore, (s) => {
      s.incidents.put(incident('old', { status: 'resolved', resolvedAt: T0 + 10, resolvedBy: 'recovery' }));
      s.incidents.put(incident('edge', { dedupKey: 'b', status: 'resolved', resolvedAt: T0 + 20, resolvedBy: 'operator' }));
      s.incidents.put(incident('active', { dedupKey: 'c', lastSeen: T0 }));
      assert.equal(s.incidents.pruneResolved(T0 + 20), 1);
      assert.deepEqual(s.incidents.list().map((i) => i.id), ['edge', 'active']);
      assert.equal(s.incidents.pruneResolved(T0 + 1_000_000), 1);
      assert.deepEqual(s.incidents.list().map((i) => i.id), ['active']);
      assert.equal(s.incidents.pruneResolved(T0 + 1_000_000), 0);
    }));
  });
}
