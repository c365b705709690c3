/**
 * What `mesh send` tells the user about a NATS peer: over NATS a message counts as delivered when the
 * receiver's signed receipt says it stored it, so the CLI says that ("stored by beta via NATS", and
 * `transport: "nats"`, `receipt: "stored"` in --json), never an HTTP status the bus did not give; and a
 * message without a receipt yet is "queued" with the reason in words. Real nats-server, real daemons.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { MeshCluster } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { inboxIds, natsFleet } from './support/nats-fleet.ts';
import { NATS_SKIP, NatsFleetServers } from './support/nats-server.ts';
import { SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const clusters: MeshCluster[] = [];
const servers: NatsFleetServers[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
});

interface SendJson { ok: boolean; exitCode: number; results: Record<string, unknown>[] }

describe('mesh send to a NATS peer', { skip: NATS_SKIP, timeout: SUITE_TIMEOUT_MS }, () => {
  test('reports the receiver\'s receipt (text and --json), queued while no receipt came, never "HTTP 202"', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const nats = await NatsFleetServers.start(1);
    servers.push(nats);
    // A short receipt wait: beta is down for the first sends, and each attempt waits this long.
    const cluster = await natsFleet({ agents: ['alpha', 'beta'], servers: nats.urls, natsConfig: { receiptTimeoutMs: 1_000 } });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');

    // Beta's daemon is not running: the server takes the message, but no receipt comes.
    const queued = await alpha.mesh(['send', 'beta', 'notification', 'while beta is down']);
    assert.equal(queued.code, 10, describeRun(queued));
    assert.match(queued.stderr, /beta: queued for retry \(NATS: no receipt from beta yet; next attempt in \d+s\) msg_/, describeRun(queued));
    assert.doesNotMatch(queued.stderr, /HTTP/);
    const queuedJson = JSON.parse((await alpha.mesh(['send', 'beta', 'notification', 'still down', '--json'])).stdout) as SendJson;
    assert.deepEqual(pick(queuedJson.results[0], ['status', 'transport', 'error', 'httpStatus', 'receipt']),
      { status: 'queued', transport: 'nats', error: 'no_receipt', httpStatus: undefined, receipt: undefined });

    // --wait-delivery: the CLI's own retries get the receipt once beta's daemon is up.
    const waiting = alpha.mesh(['send', 'beta', 'notification', 'waited for', '--json', '--wait-delivery', '600']);
    await beta.serve();
    const waited = await waiting;
    assert.equal(waited.code, 0, describeRun(waited));
    assert.deepEqual(pick((JSON.parse(waited.stdout) as SendJson).results[0], ['status', 'transport', 'receipt', 'httpStatus']),
      { status: 'delivered', transport: 'nats', receipt: 'stored', httpStatus: undefined });

    const text = await alpha.mesh(['send', 'beta', 'notification', 'beta is up']);
    assert.equal(text.code, 0, describeRun(text));
    assert.match(text.stderr, /✓ beta: delivered \(stored by beta via NATS\) msg_/, describeRun(text));
    assert.doesNotMatch(text.stderr, /HTTP/);
    const id = text.stdout.trim();

    const json = await alpha.mesh(['send', 'beta', 'notification', 'as json', '--json']);
    assert.equal(json.code, 0, describeRun(json));
    const doc = JSON.parse(json.stdout) as SendJson;
    assert.equal(doc.ok, true);
    assert.deepEqual(pick(doc.results[0], ['peer', 'status', 'transport', 'receipt', 'httpStatus']),
      { peer: 'beta', status: 'delivered', transport: 'nats', receipt: 'stored', httpStatus: undefined });
    assert.ok(inboxIds(beta).includes(id));
    assert.ok(inboxIds(beta).includes(String(doc.results[0]?.['id'])));

    // The local API's POST /api/send says the same: the transport and the receipt, no HTTP status.
    const daemon = await alpha.serve({ api: true });
    const res = await fetch(`${String(daemon.apiUrl)}/api/send`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'beta', type: 'notification', body: 'through the API' }),
    });
    const api = await res.json() as SendJson;
    assert.equal(res.status, 200, JSON.stringify(api));
    assert.deepEqual(pick(api.results[0], ['peer', 'status', 'transport', 'receipt', 'httpStatus']),
      { peer: 'beta', status: 'delivered', transport: 'nats', receipt: 'stored', httpStatus: null });
    assert.ok(inboxIds(beta).includes(String(api.results[0]?.['id'])));
  });
});

function pick(o: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o?.[k]]));
}
