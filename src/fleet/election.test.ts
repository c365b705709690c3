import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, hubStatus, nextEpoch, pickRelay, type ElectionInput, type Member } from './election.ts';
import { EMPTY_ROUTING, type RoutingState } from './routing-state.ts';

const T = 1_700_000_000_000;
const N = 3;

function member(name: string, over: Partial<Member> = {}): Member {
  return { name, role: 'peer', self: false, reachable: true, consecutiveFailures: 0, medianMs: 10, forwards: true, ...over };
}
const down = { reachable: false, consecutiveFailures: N, medianMs: null };

function input(members: Member[], over: Partial<ElectionInput> = {}): ElectionInput {
  return {
    self: 'alpha', hub: 'hub', members, state: { ...EMPTY_ROUTING }, now: T, unreachableAfterFailures: N, electionHoldMs: 60_000, ...over,
  };
}
const following = (relay: string | null, epoch: number, followedAt = T - 120_000): RoutingState =>
  ({ epoch, hub: 'hub', relay, electedBy: 'beta', electedAt: followedAt, followedAt, maxEpochSeen: epoch });

describe('hub status', () => {
  test('up at its last good probe, down after N failures, unsure in between; self is always up', () => {
    const at = (m: Partial<Member>) => hubStatus(input([member('alpha', { self: true }), member('hub', m)]));
    assert.equal(at({}), 'up');
    assert.equal(at({ reachable: false, consecutiveFailures: 1 }), 'unsure');
    assert.equal(at({ reachable: false, consecutiveFailures: N - 1 }), 'unsure');
    assert.equal(at(down), 'down');
    assert.equal(hubStatus(input([member('hub', { self: true, ...down })])), 'up');
    assert.equal(hubStatus(input([member('alpha')], { hub: null })), 'none');
    assert.equal(hubStatus(input([member('alpha')], { hub: 'ghost' })), 'none');
  });
});

describe('candidates', () => {
  test('role relay/sre first, by name, whatever the registry order; never the hub', () => {
    const ms = [member('alpha', { self: true }), member('hub', { role: 'relay' }), member('zeta', { role: 'sre', medianMs: 1 }),
      member('gamma', { role: 'relay', medianMs: 50 }), member('beta', { medianMs: 0.5 })];
    assert.equal(pickRelay(input(ms)), 'gamma');
  });

  test('a relay-role candidate must be reachable and forward', () => {
    const ms = [member('alpha', { self: true }), member('gamma', { role: 'relay', ...down }), member('delta', { role: 'sre', forwards: false }),
      member('beta', { medianMs: 20 }), member('epsilon', { medianMs: 7 })];
    assert.equal(pickRelay(input(ms)), 'epsilon');
  });

  test('else the lowest median latency; ties by name; no latency yet, no candidacy; self never by latency', () => {
    const ms = [member('alpha', { self: true, medianMs: 0 }), member('delta', { medianMs: 4 }), member('beta', { medianMs: 4 }),
      member('gamma', { medianMs: null })];
    assert.equal(pickRelay(input(ms)), 'beta');
    assert.equal(pickRelay(input(ms), 'beta'), 'delta');
  });

  test('this node is a candidate by role when it forwards', () => {
    assert.equal(pickRelay(input([member('alpha', { self: true, role: 'relay' }), member('beta', { role: 'sre' })])), 'alpha');
    assert.equal(pickRelay(input([member('alpha', { self: true, role: 'relay', forwards: false }), member('beta', { role: 'sre' })])), 'beta');
  });

  test('a bash peer (no forward/1) is never elected', () => {
    assert.equal(pickRelay(input([member('alpha', { self: true }), member('bashy', { forwards: false, medianMs: 1 })])), null);
  });
});

describe('decisions', () => {
  const fleet = (hub: Partial<Member> = {}, gamma: Partial<Member> = {}): Member[] =>
    [member('hub', { role: 'hub', ...hub }), member('alpha', { self: true }), member('beta', { medianMs: 3 }), member('gamma', { role: 'relay', ...gamma })];

  test('hub up or unsure: nothing happens', () => {
    assert.deepEqual(decide(input(fleet())), { kind: 'keep', reason: 'hub_up' });
    assert.deepEqual(decide(input(fleet({ reachable: false, consecutiveFailures: 2 }))), { kind: 'keep', reason: 'hub_unsure' });
    assert.deepEqual(decide(input(fleet(), { hub: null })), { kind: 'keep', reason: 'no_hub' });
  });

  test('hub down: elect, epoch = max seen + 1 (epochs only grow)', () => {
    assert.deepEqual(decide(input(fleet(down))), { kind: 'elect', relay: 'gamma', epoch: 1, reason: 'hub_unreachable' });
    const seen: RoutingState = { ...following(null, 4), maxEpochSeen: 9 };
    assert.deepEqual(decide(input(fleet(down), { state: seen })), { kind: 'elect', relay: 'gamma', epoch: 10, reason: 'hub_unreachable' });
    assert.equal(nextEpoch(seen), 10);
  });

  test('hub down and nobody can relay: isolated', () => {
    assert.deepEqual(decide(input([member('hub', down), member('alpha', { self: true }), member('beta', { forwards: false })])), { kind: 'isolated' });
  });

  test('following a relay: keep while it is usable; replace it when it is down', () => {
    assert.deepEqual(decide(input(fleet(down), { state: following('gamma', 2) })), { kind: 'keep', reason: 'relay_ok' });
    assert.deepEqual(decide(input(fleet(down, { reachable: false, consecutiveFailures: 1 }), { state: following('gamma', 2) })), { kind: 'keep', reason: 'relay_ok' });
    assert.deepEqual(decide(input(fleet(down, down), { state: following('gamma', 2) })), { kind: 'elect', relay: 'beta', epoch: 3, reason: 'relay_unreachable' });
    assert.deepEqual(decide(input(fleet(down, { forwards: false }), { state: following('gamma', 2) })), { kind: 'elect', relay: 'beta', epoch: 3, reason: 'relay_unreachable' });
  });

  test('the hub returns: a new epoch with relay null', () => {
    assert.deepEqual(decide(input(fleet(), { state: following('gamma', 5) })), { kind: 'return', epoch: 6, reason: 'hub_reachable' });
    // The hub itself, told of a relay while it is up, says so too.
    assert.deepEqual(decide(input(fleet(), { self: 'hub', members: fleet().map((m) => ({ ...m, self: m.name === 'hub' })), state: following('gamma', 5) })),
      { kind: 'return', epoch: 6, reason: 'hub_reachable' });
    assert.deepEqual(decide(input(fleet(), { hub: null, state: following('gamma', 5) })), { kind: 'return', epoch: 6, reason: 'no_hub' });
  });

  test('the hold damps flapping: no own election right after following one, unless forced', () => {
    const fresh = following('gamma', 5, T - 10_000);
    assert.deepEqual(decide(input(fleet(), { state: fresh })), { kind: 'keep', reason: 'hold' });
    assert.deepEqual(decide(input(fleet(), { state: fresh, force: true })), { kind: 'return', epoch: 6, reason: 'hub_reachable' });
    assert.deepEqual(decide(input(fleet(down), { state: { ...following(null, 6, T - 59_999) } })), { kind: 'keep', reason: 'hold' });
    assert.deepEqual(decide(input(fleet(down), { state: { ...following(null, 6, T - 60_000) } })), { kind: 'elect', relay: 'gamma', epoch: 7, reason: 'hub_unreachable' });
  });
});
