import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerHealth } from '../ports/store.ts';
import { relayFor, routeTable, type RouteContext } from './routes.ts';
import { EMPTY_ROUTING } from './routing-state.ts';

function health(peer: string, over: Partial<PeerHealth> = {}): PeerHealth {
  return {
    peer, reachable: true, lastProbeAt: 1, latencyMs: 1, httpStatus: 200, consecutiveFailures: 0, lastOkAt: 1, detail: null,
    samples: [1], features: ['relay/1', 'forward/1'], ...over,
  };
}

function ctx(rows: PeerHealth[], relay: string | null = 'gamma'): RouteContext {
  const byName = new Map(rows.map((h) => [h.peer, h]));
  return { self: 'alpha', state: { ...EMPTY_ROUTING, epoch: 1, hub: 'hub', relay, electedBy: 'beta' }, health: (p) => byName.get(p) ?? null };
}

const ok = [health('gamma'), health('delta'), health('bashy', { features: [] }), health('unknown', { features: null })];

test('through the relay only when a relay is followed, it is reachable and forwards', () => {
  assert.equal(relayFor(ctx(ok), 'delta', true), 'gamma');
  assert.equal(relayFor(ctx(ok, null), 'delta', true), null);
  assert.equal(relayFor(ctx([health('gamma', { reachable: false }), health('delta')]), 'delta', true), null);
  assert.equal(relayFor(ctx([health('gamma', { features: ['relay/1'] }), health('delta')]), 'delta', true), null);
  assert.equal(relayFor(ctx([health('delta')]), 'delta', true), null, 'relay never probed');
});

test('never to the relay itself, nor to the hub, never when this node is the relay', () => {
  assert.equal(relayFor(ctx(ok), 'gamma', true), null);
  assert.equal(relayFor(ctx([...ok, health('hub')]), 'hub', true), null);
  assert.equal(relayFor({ ...ctx(ok, 'alpha') }, 'delta', true), null);
});

test('signed messages go through a relay only to peers that verify relayed envelopes; unsigned ones to anyone', () => {
  assert.equal(relayFor(ctx(ok), 'bashy', true), null);
  assert.equal(relayFor(ctx(ok), 'unknown', true), null);
  assert.equal(relayFor(ctx(ok), 'bashy', false), 'gamma');
});

test('the table: relay for peers whose circuit is open or whose probes fail, direct otherwise', () => {
  const rows = [...ok, health('beta'), health('epsilon', { reachable: false, consecutiveFailures: 3 })];
  const t = routeTable(ctx(rows), [
    { name: 'beta', signed: true, circuitClosed: true },
    { name: 'delta', signed: true, circuitClosed: false },
    { name: 'epsilon', signed: true, circuitClosed: true },
    { name: 'bashy', signed: true, circuitClosed: false },
    { name: 'gamma', signed: true, circuitClosed: false },
  ], 3);
  assert.deepEqual(t, {
    beta: { route: 'direct', via: null },
    delta: { route: 'relay', via: 'gamma' },
    epsilon: { route: 'relay', via: 'gamma' },
    bashy: { route: 'direct', via: null },
    gamma: { route: 'direct', via: null },
  });
});
