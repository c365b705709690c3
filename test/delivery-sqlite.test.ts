/**
 * Outbound delivery against the real adapters: a SQLite file shared by several connections and
 * processes (daemon + CLI), and the node:http transport posting to a loopback peer.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCircuitBreaker } from '../src/delivery/circuit-breaker.ts';
import { createDeliveryService, type DeliveryService } from '../src/delivery/delivery-service.ts';
import { nullAuditSink, nullEventSink } from '../src/ports/events.ts';
import { silentLogger } from '../src/ports/logger.ts';
import type { Store } from '../src/ports/store.ts';
import { wrapForHook } from '../src/protocol/hook.ts';
import { openSqliteStore } from '../src/store/sqlite/open-sqlite-store.ts';
import { createDeliveryHarness, testPeer, type DeliveryHarness } from '../src/testing/delivery-harness.ts';
import { ManualClock } from '../src/testing/manual-clock.ts';
import { createHttpTransport } from '../src/transports/http/http-transport.ts';
import { json, startLoopbackServer, type LoopbackServer } from './transports/loopback-server.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, CHILD_PROCESS_TIMEOUT_MS } from './support/timeouts.ts';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'mesh-delivery-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(root, `node-${++n}.db`);

interface Setup {
  h: DeliveryHarness;
  server: LoopbackServer;
  stores: Store[];
  /** A delivery service over the real HTTP transport on its own connection to the same file. */
  service(): DeliveryService;
  close(): Promise<void>;
}

async function setup(respond: Parameters<typeof startLoopbackServer>[0]): Promise<Setup> {
  const path = freshPath();
  const server = await startLoopbackServer(respond);
  const stores = [openSqliteStore(path)];
  const h = createDeliveryHarness({}, stores[0]);
  h.peers.byName.set('beta', testPeer('beta', { baseUrl: server.baseUrl }));
  const transport = createHttpTransport();
  return {
    h, server, stores,
    service() {
      const store = openSqliteStore(path);
      stores.push(store);
      return createDeliveryService({
        store, transport, peers: h.peers, clock: h.clock, events: nullEventSink, audit: nullAuditSink, logger: silentLogger,
        options: { requestTimeoutMs: 5_000, connectTimeoutMs: 2_000, leaseMs: 30_000 },
      });
    },
    async close() {
      await transport.close?.();
      await server.close();
      for (const s of stores) s.close();
    },
  };
}

describe('delivery over HTTP with a SQLite outbox', () => {
  test('503, then 202 after 5 s: the peer sees the bash wire format both times', async () => {
    let calls = 0;
    const s = await setup((_req, res) => json(res, ++calls === 1 ? 503 : 202, { ok: calls > 1 }));
    try {
      const id = s.h.enqueue('beta', { signed: true });
      const envelope = s.h.store.outbox.get(id)?.envelope ?? '';
      const cli = s.service();
      const first = await cli.attempt(id);
      assert.equal(first.status, 'queued');
      assert.equal(first.httpStatus, 503);

      const daemon = s.service();
      s.h.clock.advance(5_000);
      assert.equal(await daemon.runDue(), 1);
      assert.equal(s.h.store.outbox.get(id)?.state, 'delivered');

      assert.equal(s.server.requests.length, 2);
      for (const r of s.server.requests) {
        assert.equal(r.method, 'POST');
        assert.equal(r.url, '/hooks/alpha');
        assert.equal(r.headers['authorization'], `Bearer ${testPeer('beta').token}`);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.headers['idempotency-key'], id);
        assert.equal(r.headers['x-mesh-signature'], JSON.parse(envelope).signature);
        assert.equal(r.body.toString('utf8'), wrapForHook(envelope, null));
      }
    } finally {
      await s.close();
    }
  });

  test('a message in flight on one connection is not sent by another', async () => {
    const held: (() => void)[] = [];
    const s = await setup((_req, res) => held.push(() => json(res, 202, {})));
    try {
      const id = s.h.enqueue('beta');
      const cli = s.service();
      const daemon = s.service();
      const inFlight = cli.attempt(id);
      const deadline = performance.now() + BACKGROUND_WORK_TIMEOUT_MS;
      while (s.server.requests.length === 0) {
        assert.ok(performance.now() < deadline, 'the CLI\'s request reached the peer');
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal((await daemon.attempt(id)).status, 'busy');
      assert.equal(await daemon.runDue(), 0);
      held.shift()?.();
      assert.equal((await inFlight).status, 'delivered');
      assert.equal(s.server.requests.length, 1);
    } finally {
      await s.close();
    }
  });

  test('dead letter, peer recovers (/health 200): auto-replay requeues and the same bytes are delivered', async () => {
    let healthy = false;
    const s = await setup((req, res) => {
      if (req.url === '/health') json(res, healthy ? 200 : 503, {});
      else json(res, healthy ? 202 : 500, {});
    });
    try {
      const id = s.h.enqueue('beta', { ttlMs: 3_600_000 });
      const daemon = s.service();
      for (let i = 0; i < 4; i++) {
        await daemon.runDue();
        s.h.clock.advance(60_000);
      }
      assert.equal(s.h.store.deadLetters.get(id)?.reason, 'all_retries_exhausted');
      // The breaker opened on the way and its cool-down is over: the health probe is the half-open probe.
      assert.equal(daemon.breaker.state('beta', s.h.clock.now()).state, 'half-open');
      healthy = true;
      assert.deepEqual(await daemon.autoReplayTick(), { probed: 1, replayed: 1, expired: 0 });
      assert.equal(await daemon.runDue(), 1);
      assert.equal(s.h.store.outbox.get(id)?.state, 'delivered');
      const posts = s.server.requests.filter((r) => r.method === 'POST');
      assert.equal(posts.length, 5);
      assert.equal(posts[4]?.body.toString(), posts[0]?.body.toString());
      assert.ok(s.server.requests.some((r) => r.method === 'GET' && r.url === '/health'));
    } finally {
      await s.close();
    }
  });
});

describe('circuit breaker shared by processes', () => {
  test('when the cool-down ends, exactly one of several concurrent processes gets the probe', async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    const clock = new ManualClock();
    const breaker = createCircuitBreaker({ store, events: nullEventSink });
    for (let i = 0; i < 3; i++) breaker.recordFailure('beta', clock.now());
    assert.equal(breaker.state('beta', clock.now()).state, 'open');
    store.close();

    const at = clock.now() + 60_000;
    const storeModule = new URL('../src/store/sqlite/open-sqlite-store.ts', import.meta.url).href;
    const breakerModule = new URL('../src/delivery/circuit-breaker.ts', import.meta.url).href;
    const child = `
      import { openSqliteStore } from ${JSON.stringify(storeModule)};
      import { createCircuitBreaker } from ${JSON.stringify(breakerModule)};
      const store = openSqliteStore(process.env.DB, { busyTimeoutMs: 10000 });
      const b = createCircuitBreaker({ store, events: { emit() {} } });
      // Line the processes up so their acquires really collide.
      while (Date.now() < Number(process.env.START)) {}
      process.stdout.write(JSON.stringify(b.acquire('beta', Number(process.env.AT))));
      store.close();`;
    const start = Date.now() + 1_500;
    const procs = Array.from({ length: 6 }, () =>
      run(process.execPath, ['--input-type=module', '-e', child], { env: { ...process.env, DB: path, AT: String(at), START: String(start) }, timeout: CHILD_PROCESS_TIMEOUT_MS }));
    const results = (await Promise.all(procs)).map((r) => JSON.parse(r.stdout) as { allowed: boolean; probe?: boolean });
    assert.equal(results.filter((r) => r.allowed).length, 1, JSON.stringify(results));
    assert.equal(results.filter((r) => r.probe === true).length, 1);

    const check = openSqliteStore(path);
    try {
      assert.equal(check.breakers.get('beta')?.state, 'half-open');
    } finally {
      check.close();
    }
  });
});
