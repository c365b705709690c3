/**
 * Hook batches through the real delivery path: two `mesh serve` daemons on loopback, a backlog
 * queued by alpha while beta is down, then beta started. Alpha's outbox worker drains the backlog
 * (attempts that start together share one POST /hooks/alpha/batch once beta's /health said batch/1);
 * every message must reach beta's inbox exactly once and be marked delivered in alpha's outbox.
 * That batches were really used is read from beta's own log (`--log-level debug`: one "hook batch"
 * line per batch POST, with its item count).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { batchSizes } from './support/daemon-log.ts';
import { MeshCluster, waitFor } from './support/mesh-cluster.ts';
import { describeRun, runNodeScript } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, CHILD_PROCESS_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const BULK_SEND = fileURLToPath(new URL('./support/bulk-send.ts', import.meta.url));
/** Short retry schedule and breaker cool-down so alpha notices beta within a second or two. */
const FAST_DELIVERY = {
  delivery: {
    retryDelaysMs: [0, 500, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
    breakerFailureThreshold: 3,
    breakerCooldownMs: 500,
    requestTimeoutMs: 5000,
    connectTimeoutMs: 2000,
  },
};
const N = 50;

const clusters: MeshCluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.close()));
});

describe('a backlog drains to a MESH-TS peer in hook batches', { timeout: SUITE_TIMEOUT_MS }, () => {
  test(`${N} messages queued while beta is down arrive exactly once, delivered, and batches were used`, { timeout: SUITE_TIMEOUT_MS }, async () => {
    const cluster = await MeshCluster.create({ agents: ['alpha', 'beta'], config: FAST_DELIVERY });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    await alpha.serve();

    // Beta is down: each message's first attempt is refused and it waits in alpha's outbox.
    const ids: string[] = [];
    const run = await runNodeScript(BULK_SEND, [alpha.home, 'beta', String(N), '4', 'batched'], {
      timeoutMs: CHILD_PROCESS_TIMEOUT_MS,
      onLine: (line) => {
        const r = JSON.parse(line) as { id: string | null; status: string };
        assert.equal(r.status, 'queued', line);
        if (r.id !== null) ids.push(r.id);
      },
    });
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(new Set(ids).size, N);
    assert.equal(alpha.outboxPending(), N);
    assert.equal(beta.count('SELECT count(*) FROM inbox'), 0);

    const daemon = await beta.serve({ logLevel: 'debug' });
    await waitFor('alpha to deliver its backlog to beta', BACKGROUND_WORK_TIMEOUT_MS, () => {
      if (alpha.deadLetters() > 0) throw new Error(`dead letters: ${JSON.stringify(alpha.query('SELECT id, reason, last_error FROM dead_letters'))}`);
      return alpha.outboxPending() === 0 ? true : undefined;
    }, 100);

    // Beta's inbox, as `mesh inbox` shows it: every id once, nothing else.
    const inbox = await beta.inbox();
    assert.deepEqual(inbox.map((m) => m.id).sort(), [...ids].sort());
    assert.ok(inbox.every((m) => m.from === 'alpha' && m.auth === 'hmac'));
    assert.equal(beta.count('SELECT count(*) FROM inbox'), N, 'the SQLite inbox holds each message once');

    // Alpha's outbox: each delivered, nothing pending or dead (`mesh queue status` agrees).
    const delivered = alpha.query<{ id: string }>("SELECT id FROM outbox WHERE state = 'delivered' AND delivered_at IS NOT NULL").map((r) => r.id);
    assert.deepEqual(delivered.sort(), [...ids].sort());
    const queue = await alpha.meshJson<{ pending: number; deadLetters: number }>(['queue', 'status']);
    assert.deepEqual([queue.pending, queue.deadLetters], [0, 0]);

    const sizes = batchSizes(daemon.stderr);
    assert.ok(sizes.length >= 1, `beta took no batch; its log:\n${daemon.stderr.slice(0, 4000)}`);
    assert.ok(sizes.every((n) => n >= 2 && n <= 64), JSON.stringify(sizes));
    const inBatches = sizes.reduce((a, b) => a + b, 0);
    assert.ok(inBatches <= N, `${inBatches} items in batches for ${N} messages: none was sent twice in a batch`);
    console.log(`# ${N} messages: ${sizes.length} batch POSTs carried ${inBatches} (sizes ${sizes.join(', ')}); the rest went singly`);
  });
});
