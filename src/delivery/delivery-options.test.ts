import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../protocol/errors.ts';
import { resolveDeliveryOptions } from './delivery-options.ts';

const invalid = (e: unknown): boolean => isMeshError(e) && e.code === 'INVALID_ARGUMENT';

test('defaults match bash pacing (30 s / 10 s per attempt, 0/5/15/60 s, breaker 3 failures / 60 s)', () => {
  const o = resolveDeliveryOptions();
  assert.equal(o.requestTimeoutMs, 30_000);
  assert.equal(o.connectTimeoutMs, 10_000);
  assert.deepEqual(o.retry.delaysMs, [0, 5_000, 15_000, 60_000]);
  assert.equal(o.breaker.failureThreshold, 3);
  assert.equal(o.breaker.coolDownMs, 60_000);
  assert.ok(o.leaseMs > o.requestTimeoutMs);
  assert.ok(o.breaker.probeLeaseMs > o.requestTimeoutMs);
});

test('lease and probe lease follow a longer request timeout unless set', () => {
  const o = resolveDeliveryOptions({ requestTimeoutMs: 120_000 });
  assert.equal(o.leaseMs, 240_000);
  assert.equal(o.breaker.probeLeaseMs, 240_000);
  assert.equal(resolveDeliveryOptions({ breaker: { coolDownMs: 5_000 } }).breaker.failureThreshold, 3);
});

test('invalid options are refused once, at the boundary', () => {
  assert.throws(() => resolveDeliveryOptions({ requestTimeoutMs: 0 }), invalid);
  assert.throws(() => resolveDeliveryOptions({ maxConcurrent: 1.5 }), invalid);
  assert.throws(() => resolveDeliveryOptions({ maxConcurrentPerPeer: -1 }), invalid);
  assert.throws(() => resolveDeliveryOptions({ leaseMs: 30_000 }), invalid, 'a lease must outlast an attempt');
  assert.throws(() => resolveDeliveryOptions({ breaker: { probeLeaseMs: 10_000 } }), invalid);
  assert.throws(() => resolveDeliveryOptions({ retry: { delaysMs: [] } }), invalid);
  assert.throws(() => resolveDeliveryOptions({ autoReplayProbeIntervalMs: Number.NaN }), invalid);
});
