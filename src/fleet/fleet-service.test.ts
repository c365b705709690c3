import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCircuitBreaker } from '../delivery/circuit-breaker.ts';
import type { FleetAnnouncement, FleetOutbound } from '../ports/fleet-outbound.ts';
import { silentLogger } from '../ports/logger.ts';
import type { AuditEntry } from '../ports/store.ts';
import type { Transport, TransportResult } from '../ports/transport.ts';
import { buildEnvelope } from '../protocol/envelope.ts';
import { electionMetadata, electionNoticeOf, type ElectionNotice } from '../protocol/election-notice.ts';
import type { MeshEvent } from '../protocol/events.ts';
import { wireTimestamp } from '../protocol/time.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { StaticPeers, testPeer } from '../testing/delivery-harness.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createFleetService, type FleetService } from './fleet-service.ts';

const HEALTH = (agent: string): string => JSON.stringify({ ok: true, status: 'live', agent, version: 't', features: ['relay/1', 'forward/1'] });

/** Probe answers per peer, switchable by the test: 'up' (a MESH-TS node), 'down' (refused). */
class ProbeBoard implements Transport {
  readonly state = new Map<string, 'up' | 'down'>();
  readonly probed: string[] = [];
  send(): Promise<TransportResult> {
    throw new Error('the fleet service never sends hooks');
  }
  probe(baseUrl: string): Promise<TransportResult> {
    const name = new URL(baseUrl).hostname.replace(/\.test$/, '');
    this.probed.push(name);
    const up = (this.state.get(name) ?? 'up') === 'up';
    return Promise.resolve(up
      ? { status: 200, networkError: null, retryAfterMs: null, bodySnippet: HEALTH(name), elapsedMs: name.length }
      : { status: null, networkError: 'connection_refused', retryAfterMs: null, bodySnippet: '', elapsedMs: 1 });
  }
}

class RecordingOutbound implements FleetOutbound {
  readonly sent: FleetAnnouncement[] = [];
  announce(a: FleetAnnouncement): Promise<{ status: string }> {
    this.sent.push(a);
    return Promise.resolve({ status: 'delivered' });
  }
  notices(): { target: string; notice: ElectionNotice }[] {
    return this.sent.map((a) => ({ target: a.target, notice: electionNoticeOf(a.metadata) as ElectionNotice }));
  }
}

function setUp(self = 'alpha') {
  const clock = new ManualClock();
  const store = createMemoryStore();
  const events: MeshEvent[] = [];
  const audit: AuditEntry[] = [];
  const eventSink = { emit: (e: MeshEvent) => events.push(e) };
  const names = ['hub', 'alpha', 'beta', 'gamma', 'delta'];
  const roles: Record<string, string> = { hub: 'hub', gamma: 'relay' };
  const peers = new StaticPeers(self, names.map((n) => testPeer(n, { role: roles[n] ?? 'peer' })));
  // StaticPeers.list() includes self; the registry's does not.
  const directory = { ...peers, self: () => self, get: (n: string) => peers.get(n), group: () => null, list: () => peers.list().filter((p) => p.name !== self) };
  const circuits = createCircuitBreaker({ store, events: eventSink, options: { failureThreshold: 3, coolDownMs: 60_000, probeLeaseMs: 90_000, probeRecheckMs: 5_000 } });
  const board = new ProbeBoard();
  const outbound = new RecordingOutbound();
  let r = 0.5;
  const fleet: FleetService = createFleetService({
    self, store, peers: directory, registryOrder: () => names, transport: board, circuits, clock, events: eventSink,
    audit: { record: (a) => audit.push(a) }, logger: silentLogger, outbound,
    options: { probeIntervalMs: 30_000, hub: 'hub', forwarding: false }, random: () => r,
  });
  return { clock, store, events, audit, board, outbound, fleet, circuits, setRandom: (x: number) => (r = x) };
}

const ofType = <T extends MeshEvent['type']>(events: MeshEvent[], type: T): Extract<MeshEvent, { type: T }>[] =>
  events.filter((e): e is Extract<MeshEvent, { type: T }> => e.type === type);

async function rounds(f: ReturnType<typeof setUp>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    f.clock.advance(30_000);
    await f.fleet.tick();
    await f.fleet.settled();
  }
}

describe('fleet service (in-memory store, manual clock)', () => {
  test('a round probes every peer, records latency samples and features, and schedules the next with jitter', async () => {
    const f = setUp();
    const t0 = f.clock.now();
    assert.equal(f.fleet.nextDueAt(), t0, 'the first round is due at once');
    f.setRandom(0);
    await f.fleet.tick();
    assert.deepEqual(f.board.probed.sort(), ['beta', 'delta', 'gamma', 'hub']);
    assert.equal(f.fleet.nextDueAt(), t0 + 24_000, '-20 %');
    f.setRandom(0.75);
    await f.fleet.tick();
    assert.equal(f.fleet.nextDueAt(), t0 + 33_000, '+10 %');
    const gamma = f.store.peers.get('gamma');
    assert.deepEqual(gamma?.samples, [5, 5]);
    assert.deepEqual(gamma?.features, ['relay/1', 'forward/1']);
    assert.equal(ofType(f.events, 'peer.health').length, 8);
    assert.deepEqual(ofType(f.events, 'relay.elected'), []);
  });

  test('hub down for N probes: elect the relay-role peer with epoch 1, announce it to every MESH-TS peer, audit it', async () => {
    const f = setUp();
    await rounds(f, 1);
    f.board.state.set('hub', 'down');
    await rounds(f, 2);
    assert.deepEqual(ofType(f.events, 'relay.elected'), [], 'two failures are not yet "down"');
    await rounds(f, 1);
    assert.deepEqual(ofType(f.events, 'relay.elected'), [{ type: 'relay.elected', epoch: 1, hub: 'hub', relay: 'gamma', electedBy: 'alpha', source: 'self' }]);
    assert.deepEqual(f.fleet.routing(), {
      epoch: 1, hub: 'hub', relay: 'gamma', electedBy: 'alpha', electedAt: f.clock.now(), followedAt: f.clock.now(), maxEpochSeen: 1,
    });
    assert.deepEqual(f.outbound.notices().map((n) => n.target).sort(), ['beta', 'delta', 'gamma', 'hub']);
    assert.ok(f.outbound.notices().every((n) => n.notice.epoch === 1 && n.notice.relay === 'gamma' && n.notice.electedBy === 'alpha'));
    assert.ok(f.outbound.sent.every((a) => a.subject === 'mesh-election' && a.ttlSeconds === 300));
    assert.deepEqual(f.audit.filter((a) => a.status === 'relay_elected').map((a) => a.detail), ['epoch 1; relay gamma; hub hub; by alpha; hub_unreachable']);
    // The hub's circuit opened with the third failure: it is not probed during the cool-down.
    f.board.probed.length = 0;
    await rounds(f, 1);
    assert.ok(!f.board.probed.includes('hub'));
    assert.equal(ofType(f.events, 'relay.elected').length, 1, 'no second election while the relay is usable');
  });

  test('a peer that cannot be reached directly is routed through the relay; its return goes direct', async () => {
    const f = setUp();
    await rounds(f, 1);
    f.board.state.set('hub', 'down');
    f.board.state.set('delta', 'down');
    await rounds(f, 3);
    assert.deepEqual(ofType(f.events, 'route.changed'), [{ type: 'route.changed', peer: 'delta', route: 'relay', via: 'gamma' }]);
    f.board.state.set('delta', 'up');
    f.clock.advance(60_000); // delta's cool-down: the next probe is its half-open probe
    await rounds(f, 1);
    assert.deepEqual(ofType(f.events, 'route.changed').at(-1), { type: 'route.changed', peer: 'delta', route: 'direct', via: null });
  });

  test('the hub returns: after the hold, a new epoch with relay null is announced and followed', async () => {
    const f = setUp();
    await rounds(f, 1);
    f.board.state.set('hub', 'down');
    await rounds(f, 3);
    f.board.state.set('hub', 'up');
    f.outbound.sent.length = 0;
    f.clock.advance(60_000);
    await rounds(f, 1);
    const elected = ofType(f.events, 'relay.elected');
    assert.deepEqual(elected.at(-1), { type: 'relay.elected', epoch: 2, hub: 'hub', relay: null, electedBy: 'alpha', source: 'self' });
    assert.deepEqual(f.outbound.notices().map((n) => [n.target, n.notice.epoch, n.notice.relay]).sort(),
      [['beta', 2, null], ['delta', 2, null], ['gamma', 2, null], ['hub', 2, null]]);
    assert.equal(f.fleet.routing().relay, null);
  });

  test('a hub that returns within the hold keeps the relay until the hold is over', async () => {
    const f = setUp();
    await rounds(f, 1);
    f.board.state.set('hub', 'down');
    await rounds(f, 3);
    f.board.state.set('hub', 'up');
    f.clock.advance(30_000); // past the hub's cool-down, still inside the 90 s hold
    f.circuits.recordSuccess('hub', f.clock.now());
    await f.fleet.tick();
    assert.equal(f.fleet.routing().relay, 'gamma');
    assert.equal(f.fleet.evaluate({ force: true }).kind, 'return', 'an operator can force it');
    assert.equal(f.fleet.routing().relay, null);
  });

  function announcement(f: ReturnType<typeof setUp>, n: ElectionNotice, from: string, auth: 'hmac' | 'none' = 'hmac') {
    const envelope = buildEnvelope({
      id: `msg_00000000-0000-4000-8000-${String(n.epoch).padStart(12, '0')}`, timestamp: wireTimestamp(f.clock.now()), from, to: 'alpha',
      type: 'notification', nonce: '0'.repeat(32), body: 'election', metadata: electionMetadata(n),
    });
    return { envelope, body: 'election', auth };
  }

  test('announcements: verified and higher epochs are followed; stale ones ignored and audited; epochs seen raise ours', async () => {
    const f = setUp();
    await rounds(f, 1);
    const at = f.clock.now();
    f.fleet.onInbound(announcement(f, { epoch: 7, hub: 'hub', relay: 'gamma', electedBy: 'beta', at }, 'beta'));
    assert.deepEqual(f.fleet.routing().relay, 'gamma');
    assert.deepEqual(ofType(f.events, 'relay.elected').at(-1), { type: 'relay.elected', epoch: 7, hub: 'hub', relay: 'gamma', electedBy: 'beta', source: 'announcement' });
    f.fleet.onInbound(announcement(f, { epoch: 6, hub: 'hub', relay: 'delta', electedBy: 'delta', at }, 'delta'));
    assert.equal(f.fleet.routing().relay, 'gamma');
    assert.deepEqual(ofType(f.events, 'relay.election_ignored'), [{ type: 'relay.election_ignored', epoch: 6, electedBy: 'delta', from: 'delta', reason: 'stale' }]);
    assert.deepEqual(f.audit.filter((a) => a.status === 'election_ignored').map((a) => a.detail), ['epoch 6; relay delta; hub hub; by delta; stale; from delta']);
    f.fleet.onInbound(announcement(f, { epoch: 9, hub: 'hub', relay: 'delta', electedBy: 'delta', at }, 'delta', 'none'));
    assert.equal(f.fleet.routing().relay, 'gamma', 'unsigned: not followed');
    assert.equal(f.fleet.routing().maxEpochSeen, 7, 'an unverified epoch does not count');
    // Our own next election takes max seen + 1.
    f.fleet.onInbound(announcement(f, { epoch: 8, hub: 'hub', relay: null, electedBy: 'beta', at }, 'beta'));
    f.board.state.set('hub', 'down');
    f.clock.advance(90_000);
    await rounds(f, 3);
    assert.deepEqual(ofType(f.events, 'relay.elected').at(-1), { type: 'relay.elected', epoch: 9, hub: 'hub', relay: 'gamma', electedBy: 'alpha', source: 'self' });
  });

  test('election announcements are consumed by the node, never handed to the agent', () => {
    const f = setUp();
    const a = announcement(f, { epoch: 1, hub: 'hub', relay: 'gamma', electedBy: 'beta', at: f.clock.now() }, 'beta');
    assert.equal(f.fleet.consumes(a.envelope), true);
    assert.equal(f.fleet.consumes({ ...a.envelope, payload: { ...a.envelope.payload, metadata: {} } }), false);
  });
});
