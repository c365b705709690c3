/**
 * Model-based property: under random transport answers, probe answers, clock advances and
 * interleavings of two processes (daemon worker + CLI attempts), every enqueued message is at every
 * moment in exactly one place — pending, delivered, dead letters, or expired (gone, announced once) —
 * is delivered at most once, is never sent past its TTL nor through an open circuit, and after a
 * final drain against a healthy peer ends delivered or expired: never lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TransportResult } from '../ports/transport.ts';
import { createDeliveryHarness } from '../testing/delivery-harness.ts';
import { httpResult, networkFailure } from '../testing/fake-transport.ts';

const sendResult = fc.constantFrom<TransportResult>(
  httpResult(202), httpResult(200), httpResult(503), httpResult(503, 90_000), httpResult(429, 20_000),
  httpResult(500), httpResult(302), httpResult(404), httpResult(401),
  networkFailure('timeout'), networkFailure('connection_refused'),
);
const probeResult = fc.constantFrom<TransportResult>(httpResult(200), httpResult(503), httpResult(404), networkFailure('timeout'));
const peer = fc.constantFrom('beta', 'gamma');

type Op =
  | { op: 'enqueue'; peer: string; ttlMs: number }
  | { op: 'attempt'; pick: number }
  | { op: 'runDue' }
  | { op: 'autoReplay' }
  | { op: 'replay'; peer: string | null }
  | { op: 'advance'; ms: number }
  | { op: 'parallel'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('enqueue' as const), peer, ttlMs: fc.constantFrom(5_000, 60_000, 300_000, 3_600_000) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('attempt' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.constant({ op: 'runDue' as const }), weight: 3 },
  { arbitrary: fc.constant({ op: 'autoReplay' as const }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('replay' as const), peer: fc.option(peer, { nil: null }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.constantFrom(0, 1_000, 5_000, 15_000, 30_000, 60_000, 120_000) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('parallel' as const), pick: fc.nat() }), weight: 2 },
);

test('every message ends exactly once in delivered, dead letters or expired; never lost, never delivered twice', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(opArb, { minLength: 5, maxLength: 80, size: 'medium' }),
      fc.array(sendResult, { minLength: 1, maxLength: 40, size: 'medium' }),
      fc.array(probeResult, { minLength: 1, maxLength: 10 }),
      async (ops, sends, probes) => {
        const h = createDeliveryHarness({ maxConcurrent: 3, maxConcurrentPerPeer: 2 });
        const cli = h.newService();
        const ids: string[] = [];
        const expiresAt = new Map<string, number>();
        const deliveredOnWire = new Map<string, number>();
        let sendNo = 0;
        let probeNo = 0;
        const probeSlots = new Set<string>();
        // Checks inside the transport are collected, not thrown: the service treats a throwing
        // transport as a network failure and would swallow them.
        const violations: string[] = [];

        h.transport.setDefault((req) => {
          const id = req.headers?.['Idempotency-Key'] ?? '';
          const now = h.clock.now();
          if (now >= (expiresAt.get(id) ?? 0)) violations.push(`sent past its TTL: ${id}`);
          const r = sends[sendNo++ % sends.length] as TransportResult;
          if (r.status !== null && r.status >= 200 && r.status <= 299) deliveredOnWire.set(id, (deliveredOnWire.get(id) ?? 0) + 1);
          return r;
        });
        const origProbe = h.transport.probe.bind(h.transport);
        h.transport.probe = (url, t) => {
          h.transport.scriptProbe(probes[probeNo++ % probes.length] as TransportResult);
          return origProbe(url, t);
        };
        // The breaker must be consulted right before every send: none may pass an open circuit.
        const origSend = h.transport.send.bind(h.transport);
        h.transport.send = (req) => {
          const target = new URL(req.url).hostname.split('.')[0] ?? '';
          const view = h.service.breaker.state(target, h.clock.now());
          if (view.state === 'open') violations.push(`sent to ${target} through an open circuit`);
          if (view.state === 'half-open') {
            if (view.openUntil !== null && h.clock.now() < view.openUntil) violations.push(`probe to ${target} before the cool-down ended`);
            // Each grant of the probe slot sets a new probeUntil: two sends under one grant = two probes.
            const slot = `${target}@${String(view.probeUntil)}`;
            if (probeSlots.has(slot)) violations.push(`two probes to ${target} in one half-open slot`);
            probeSlots.add(slot);
          }
          return origSend(req);
        };

        const pick = (n: number): string | undefined => ids[n % Math.max(1, ids.length)];
        const check = (final: boolean): void => {
          assert.deepEqual(violations, []);
          const expiredCount = new Map<string, number>();
          for (const e of h.events) if (e.type === 'message.expired') expiredCount.set(e.id, (expiredCount.get(e.id) ?? 0) + 1);
          for (const id of ids) {
            const row = h.store.outbox.get(id);
            const dl = h.store.deadLetters.get(id);
            const expired = expiredCount.get(id) ?? 0;
            const wire = deliveredOnWire.get(id) ?? 0;
            const places = [
              row?.state === 'pending', row?.state === 'delivered', dl !== null, row === null && dl === null && expired > 0,
            ].filter(Boolean).length;
            assert.equal(places, 1, `${id} is in ${places} places`);
            assert.ok(expired <= 1, `${id} expired twice`);
            assert.ok(wire <= 1, `${id} delivered twice`);
            assert.equal(row?.state === 'delivered', wire === 1, `${id}: store and wire disagree`);
            if (expired === 1) assert.equal(wire, 0, `${id} both delivered and expired`);
            if (dl !== null) assert.ok(dl.attempts <= 4, `${id} dead letter with ${dl.attempts} attempts`);
            if (row?.state === 'pending') assert.ok(row.attempts < 4, `${id} pending after ${row.attempts} attempts`);
            if (final) assert.ok(row?.state === 'delivered' || (row === null && dl === null && expired === 1), `${id} not settled`);
          }
        };

        for (const o of ops) {
          switch (o.op) {
            case 'enqueue': {
              const id = h.enqueue(o.peer, { ttlMs: o.ttlMs });
              ids.push(id);
              expiresAt.set(id, h.clock.now() + o.ttlMs);
              break;
            }
            case 'attempt': {
              const id = pick(o.pick);
              if (id !== undefined) await cli.attempt(id).catch(() => undefined);
              break;
            }
            case 'runDue':
              await h.service.runDue();
              break;
            case 'autoReplay':
              await h.service.autoReplayTick();
              break;
            case 'replay':
              h.service.replayDeadLetters(o.peer === null ? {} : { peer: o.peer });
              break;
            case 'advance':
              h.clock.advance(o.ms);
              break;
            case 'parallel': {
              const id = pick(o.pick);
              await Promise.all([
                h.service.runDue(),
                id === undefined ? Promise.resolve() : cli.attempt(id).catch(() => undefined),
                cli.runDue(),
              ]);
              break;
            }
          }
          check(false);
        }

        // Drain against a healthy peer: everything must settle as delivered or expired.
        h.transport.setDefault(httpResult(202));
        const healthy = h.transport.send;
        h.transport.send = (req) => {
          const id = req.headers?.['Idempotency-Key'] ?? '';
          if (h.clock.now() >= (expiresAt.get(id) ?? 0)) violations.push(`sent past its TTL: ${id}`);
          deliveredOnWire.set(id, (deliveredOnWire.get(id) ?? 0) + 1);
          return healthy(req);
        };
        for (let i = 0; i < 50; i++) {
          h.service.replayDeadLetters();
          await h.service.runDue();
          if (Object.keys(h.store.outbox.pendingCounts()).length === 0 && h.store.deadLetters.list().length === 0) break;
          h.clock.advance(30_000);
        }
        check(true);
      },
    ),
    { numRuns: 300 },
  );
});
