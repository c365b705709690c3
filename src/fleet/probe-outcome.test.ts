import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransportResult } from '../ports/transport.ts';
import { probeOutcome } from './probe-outcome.ts';

const T = 1_000_000;
const answer = (status: number | null, body = '', elapsedMs = 12, networkError: string | null = null): TransportResult =>
  ({ status, networkError: status === null ? (networkError ?? 'timeout') : null, retryAfterMs: null, bodySnippet: body, elapsedMs });
const MESH = '{"ok":true,"status":"live","agent":"gamma","version":"0.1.0","features":["relay/1","forward/1"]}';

test('a 2xx from a MESH-TS node: reachable, sampled, features read, breaker success', () => {
  const o = probeOutcome('gamma', null, answer(200, MESH, 12.34), T, 20);
  assert.equal(o.breaker, 'success');
  assert.deepEqual(o.health, {
    peer: 'gamma', reachable: true, lastProbeAt: T, latencyMs: 12.3, httpStatus: 200, consecutiveFailures: 0, lastOkAt: T,
    detail: null, samples: [12.3], features: ['relay/1', 'forward/1'],
  });
});

test('an OpenClaw gateway (bash node) answers without features: known, and relays nothing', () => {
  const o = probeOutcome('bash1', null, answer(200, '{"ok":true,"status":"live"}'), T, 20);
  assert.equal(o.health.reachable, true);
  assert.deepEqual(o.health.features, []);
});

test('an answer naming another agent advertises nothing', () => {
  const o = probeOutcome('delta', null, answer(200, MESH), T, 20);
  assert.equal(o.health.reachable, true);
  assert.deepEqual(o.health.features, []);
  assert.equal(o.health.detail, 'agent_mismatch');
});

test('failures count up, keep the last good features and samples; a timeout has no latency', () => {
  const up = probeOutcome('gamma', null, answer(200, MESH, 5), T, 20).health;
  const f1 = probeOutcome('gamma', up, answer(null, '', 5000, 'timeout'), T + 1, 20);
  assert.equal(f1.breaker, 'failure');
  assert.deepEqual({ ...f1.health }, {
    ...up, reachable: false, lastProbeAt: T + 1, latencyMs: null, httpStatus: null, consecutiveFailures: 1, detail: 'timeout',
  });
  const f2 = probeOutcome('gamma', f1.health, answer(503, '', 3), T + 2, 20);
  assert.equal(f2.breaker, 'failure');
  assert.equal(f2.health.consecutiveFailures, 2);
  assert.equal(f2.health.detail, 'http_503');
  assert.equal(f2.health.latencyMs, 3);
  const back = probeOutcome('gamma', f2.health, answer(204, MESH, 7), T + 3, 20);
  assert.equal(back.health.consecutiveFailures, 0);
  assert.deepEqual(back.health.samples, [5, 7]);
});

test('a 4xx: the host is up (breaker success) but this is not a healthy MESH peer', () => {
  const o = probeOutcome('gamma', null, answer(404, '{"ok":false}'), T, 20);
  assert.equal(o.breaker, 'success');
  assert.equal(o.health.reachable, false);
  assert.equal(o.health.consecutiveFailures, 1);
  assert.equal(o.health.features, null);
});
