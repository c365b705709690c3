import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMeshError } from '../protocol/errors.ts';
import { defaultNodeConfig, parseNodeConfig } from './node-config.ts';

test('fleet settings default to 30 s probes, 5 s time-outs, 3 failures; hub and forwarding from the registry', () => {
  assert.deepEqual(defaultNodeConfig().fleet, {
    probeIntervalMs: 30_000, probeTimeoutMs: 5_000, unreachableAfterFailures: 3, latencySamples: 20, electionHoldMs: null,
    announceTtlSeconds: 300, hub: null, relay: null,
  });
  assert.deepEqual(parseNodeConfig({}).fleet, defaultNodeConfig().fleet);
});

test('fleet settings are read and validated', () => {
  const f = parseNodeConfig({ fleet: { probeIntervalMs: 500, probeTimeoutMs: 200, unreachableAfterFailures: 2, electionHoldMs: 0, hub: 'hq', relay: true } }).fleet;
  assert.deepEqual(f, { probeIntervalMs: 500, probeTimeoutMs: 200, unreachableAfterFailures: 2, latencySamples: 20, electionHoldMs: 0, announceTtlSeconds: 300, hub: 'hq', relay: true });
  const bad = [{ probeIntervalMs: 10 }, { hub: 'no such name!' }, { relay: 'yes' }, { announceTtlSeconds: 10 }, { unreachableAfterFailures: 0 }, { probeEvery: 1 }];
  for (const fleet of bad) {
    assert.throws(() => parseNodeConfig({ fleet }), (e) => isMeshError(e) && e.code === 'CONFIG_INVALID', JSON.stringify(fleet));
  }
});
