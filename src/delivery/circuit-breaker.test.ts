import { beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventSink } from '../ports/events.ts';
import type { Store } from '../ports/store.ts';
import type { MeshEvent } from '../protocol/events.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.ts';

const OPTS = { failureThreshold: 3, coolDownMs: 60_000, probeLeaseMs: 40_000, probeRecheckMs: 5_000 };

describe('circuit breaker', () => {
  let store: Store;
  let clock: ManualClock;
  let events: MeshEvent[];
  let breaker: CircuitBreaker;
  const sink: EventSink = { emit: (e) => events.push(e) };

  beforeEach(() => {
    store = createMemoryStore();
    clock = new ManualClock();
    events = [];
    breaker = createCircuitBreaker({ store, events: sink, options: OPTS });
  });

  const fail = (n: number): void => {
    for (let i = 0; i < n; i++) breaker.recordFailure('beta', clock.now());
  };
  const types = (): string[] => events.map((e) => e.type);

  test('an unknown peer is closed and lets traffic through', () => {
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: true, probe: false });
    assert.equal(breaker.state('beta', clock.now()).state, 'closed');
    assert.equal(store.breakers.get('beta'), null, 'acquiring on a closed circuit writes nothing');
  });

  test('opens after 3 consecutive failures, not before', () => {
    fail(2);
    assert.equal(breaker.state('beta', clock.now()).state, 'closed');
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: true, probe: false });
    fail(1);
    const s = breaker.state('beta', clock.now());
    assert.equal(s.state, 'open');
    assert.equal(s.openUntil, clock.now() + 60_000);
    assert.deepEqual(events, [{ type: 'circuit.opened', peer: 'beta', until: clock.now() + 60_000 }]);
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: false, retryAt: clock.now() + 60_000 });
  });

  test('a success in between resets the count (consecutive, not cumulative)', () => {
    fail(2);
    breaker.recordSuccess('beta', clock.now());
    fail(2);
    assert.equal(breaker.state('beta', clock.now()).state, 'closed');
    assert.equal(breaker.state('beta', clock.now()).consecutiveFailures, 2);
    assert.deepEqual(types(), []);
  });

  test('the breaker is per peer', () => {
    fail(3);
    assert.equal(breaker.acquire('gamma', clock.now()).allowed, true);
  });

  test('stays open for the whole cool-down, then lets exactly one probe through', () => {
    fail(3);
    const opened = clock.now();
    clock.advance(59_999);
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: false, retryAt: opened + 60_000 });
    clock.advance(1);
    assert.equal(breaker.state('beta', clock.now()).state, 'half-open', 'cool-down over reads as half-open');
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: true, probe: true });
    // Refused callers come back soon (not only when the lease ends), to follow a good probe quickly.
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: false, retryAt: clock.now() + 5_000 });
    clock.advance(37_000);
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: false, retryAt: clock.now() + 3_000 });
    assert.deepEqual(types(), ['circuit.opened', 'circuit.half_opened']);
  });

  test('probe success closes the circuit and resets the count', () => {
    fail(3);
    clock.advance(60_000);
    assert.equal(breaker.acquire('beta', clock.now()).allowed, true);
    breaker.recordSuccess('beta', clock.now());
    const s = breaker.state('beta', clock.now());
    assert.equal(s.state, 'closed');
    assert.equal(s.consecutiveFailures, 0);
    assert.equal(s.openUntil, null);
    assert.equal(s.probeUntil, null);
    assert.equal(s.lastSuccessAt, clock.now());
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: true, probe: false });
    assert.deepEqual(types(), ['circuit.opened', 'circuit.half_opened', 'circuit.closed']);
    // One failure after recovery does not re-open it.
    fail(1);
    assert.equal(breaker.state('beta', clock.now()).state, 'closed');
  });

  test('probe failure re-opens the circuit for a fresh cool-down', () => {
    fail(3);
    clock.advance(60_000);
    assert.equal(breaker.acquire('beta', clock.now()).allowed, true);
    clock.advance(5_000);
    fail(1);
    const s = breaker.state('beta', clock.now());
    assert.equal(s.state, 'open');
    assert.equal(s.openUntil, clock.now() + 60_000);
    assert.equal(s.probeUntil, null);
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: false, retryAt: clock.now() + 60_000 });
    assert.deepEqual(types(), ['circuit.opened', 'circuit.half_opened', 'circuit.opened']);
    clock.advance(60_000);
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: true, probe: true });
  });

  test('a crashed prober does not block forever: the slot passes on when its lease ends', () => {
    fail(3);
    clock.advance(60_000);
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: true, probe: true });
    clock.advance(39_999);
    assert.equal(breaker.acquire('beta', clock.now()).allowed, false);
    clock.advance(1);
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: true, probe: true });
    assert.equal(breaker.acquire('beta', clock.now()).allowed, false);
    // Half-open was entered once; re-granting the slot is not a new transition.
    assert.deepEqual(types(), ['circuit.opened', 'circuit.half_opened']);
  });

  test('two breakers sharing one store (two processes): only one wins the half-open probe', () => {
    const other = createCircuitBreaker({ store, events: sink, options: OPTS });
    fail(3);
    assert.equal(other.state('beta', clock.now()).state, 'open', 'state is shared through the store');
    clock.advance(60_000);
    const a = breaker.acquire('beta', clock.now());
    const b = other.acquire('beta', clock.now());
    assert.deepEqual([a.allowed, b.allowed].sort(), [false, true]);
    // And whoever wins, the other sees the result of the probe.
    other.recordSuccess('beta', clock.now());
    assert.deepEqual(breaker.acquire('beta', clock.now()), { allowed: true, probe: false });
  });

  test('a late failure while open keeps the cool-down as is; a late success closes', () => {
    fail(3);
    const until = breaker.state('beta', clock.now()).openUntil;
    clock.advance(30_000);
    fail(1);
    assert.equal(breaker.state('beta', clock.now()).openUntil, until);
    assert.equal(breaker.state('beta', clock.now()).consecutiveFailures, 4);
    breaker.recordSuccess('beta', clock.now());
    assert.equal(breaker.state('beta', clock.now()).state, 'closed');
  });

  test('list shows every peer with a record', () => {
    fail(3);
    breaker.recordSuccess('gamma', clock.now());
    const views = breaker.list(clock.now()).map((v) => [v.peer, v.state]).sort();
    assert.deepEqual(views, [['beta', 'open'], ['gamma', 'closed']]);
  });

  test('invalid options are refused', () => {
    assert.throws(() => createCircuitBreaker({ store, events: sink, options: { failureThreshold: 0 } }));
    assert.throws(() => createCircuitBreaker({ store, events: sink, options: { coolDownMs: -1 } }));
    assert.throws(() => createCircuitBreaker({ store, events: sink, options: { probeLeaseMs: 0 } }));
    assert.throws(() => createCircuitBreaker({ store, events: sink, options: { probeRecheckMs: Number.NaN } }));
  });
});
