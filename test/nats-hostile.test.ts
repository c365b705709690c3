/**
 * Hostile input from the bus. Anyone allowed to publish on a node's inbox subject can send it
 * anything: each message goes through the same pipeline checks as an HTTP hook, is audited
 * `rejected_<code>` and terminated (never redelivered), while genuine messages still arrive once. A
 * forged receipt (unsigned, or signed with another key) never marks a message delivered. The daemon
 * keeps consuming afterwards: a genuine message sent after the hostile ones is stored.
 * The test publishes with the NATS client MESH uses, to a real nats-server.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { waitFor, type ClusterNode, type MeshCluster } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { inboxIds, natsFleet } from './support/nats-fleet.ts';
import { NATS_SKIP, NatsFleetServers } from './support/nats-server.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const clusters: MeshCluster[] = [];
const servers: NatsFleetServers[] = [];
const conns: NatsConnection[] = [];
after(async () => {
  await Promise.all(conns.map((c) => c.close()));
  await Promise.all(clusters.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
});

interface Consumer {
  deliveries: number;
  pending: number;
  ackPending: number;
}

async function consumerOf(n: ClusterNode): Promise<Consumer> {
  return (await n.meshJson<{ consumer: Consumer }>(['nats', 'status'])).consumer;
}

function auditStatuses(n: ClusterNode): string[] {
  return n.query<{ status: string }>("SELECT status FROM audit WHERE direction = 'in' ORDER BY seq").map((r) => r.status);
}

describe('hostile input on the bus', { skip: NATS_SKIP, timeout: SUITE_TIMEOUT_MS }, () => {
  test('junk, binary, empty, malformed, deeply nested, unsigned, forged, unknown-sender, oversized and replayed messages are refused once, audited, never redelivered, and the consumer keeps going', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const nats = await NatsFleetServers.start(1);
    servers.push(nats);
    const cluster = await natsFleet({
      agents: ['alpha', 'beta'], servers: nats.urls, config: { serve: { maxBodyBytes: 4096 } }, natsConfig: { ackWaitMs: 1000 },
    });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    await beta.serve();

    // One genuine message first (alpha's CLI, no daemon needed on alpha's side).
    const genuine = await alpha.meshJson<{ results: { status: string; id: string }[] }>(['send', 'beta', 'notification', 'genuine']);
    assert.equal(genuine.results[0]?.status, 'delivered');
    const genuineId = genuine.results[0]?.id as string;
    const row = alpha.query<{ envelope: string }>('SELECT envelope FROM outbox WHERE id = ?', genuineId)[0];
    assert.ok(row);
    const wire = JSON.stringify({ message: row.envelope });

    // A signed envelope alpha would send, to tamper with.
    const dry = await alpha.meshJson<{ results: { envelope: Record<string, unknown> }[] }>(['send', 'beta', 'notification', 'original', '--dry-run']);
    const env = dry.results[0]?.envelope as Record<string, unknown>;
    const hook = (e: Record<string, unknown>): string => JSON.stringify({ message: JSON.stringify(e) });
    const unsigned = { ...env };
    delete unsigned['signature'];
    const forged = { ...env, payload: { ...(env['payload'] as Record<string, unknown>), body: 'forged body' } };
    const stranger = { ...env, from: 'mallory' };

    const nc = await connect({ servers: nats.urls });
    conns.push(nc);
    const js = jetstream(nc);
    const subject = 'mesh.mesh.beta.inbox';
    const hostile: [string, string | Uint8Array][] = [
      ['junk', 'this is not json {'],
      ['binary', Uint8Array.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x7b, 0x22])],
      ['empty', ''],
      ['no-message', '{"msg":"x"}'],
      ['broken-envelope', JSON.stringify({ message: '{"v":"mesh/1",' })],
      // Nested 1,500 deep inside the size limit: the parsers must refuse it, not overflow the stack.
      ['deep', JSON.stringify({ message: `${'['.repeat(1500)}${']'.repeat(1500)}` })],
      ['unsigned', hook(unsigned)],
      ['forged', hook(forged)],
      ['stranger', hook(stranger)],
      ['oversized', JSON.stringify({ message: 'x'.repeat(5000) })],
      // The genuine message again under a new JetStream id (past the server's de-duplication): a replay.
      ['replayed', wire],
    ];
    const before = (await consumerOf(beta)).deliveries;
    for (const [what, body] of hostile) {
      const ack = await js.publish(subject, body, { msgID: `hostile-${what}` });
      assert.equal(ack.duplicate, false, what);
    }
    // The same message id within the duplicate window is dropped by the server itself.
    assert.equal((await js.publish(subject, wire, { msgID: genuineId })).duplicate, true);

    await waitFor('beta to have handled every hostile message', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      const c = await consumerOf(beta);
      return c.deliveries >= before + hostile.length && c.pending === 0 && c.ackPending === 0 ? c : undefined;
    }, 250);
    const statuses = auditStatuses(beta);
    const audited = (status: string): number => statuses.filter((s) => s === status).length;
    // junk, binary, empty, no-message: not a hook body; broken-envelope, deep: no envelope inside.
    assert.equal(audited('rejected_malformed_body'), 4, statuses.join(', '));
    assert.equal(audited('rejected_malformed_envelope'), 2, statuses.join(', '));
    for (const want of ['rejected_signature_missing', 'rejected_signature_invalid', 'rejected_unknown_sender', 'rejected_payload_too_large']) {
      assert.equal(audited(want), 1, `${want} audited once: ${statuses.join(', ')}`);
    }
    assert.equal(statuses.filter((s) => s === 'duplicate').length, 1, 'the replay is answered as a duplicate');
    assert.deepEqual(inboxIds(beta), [genuineId], 'only the genuine message is stored, once');

    // Past several ack-wait periods nothing came back: terminated messages are not redelivered.
    await sleep(3_500);
    const later = await consumerOf(beta);
    assert.equal(later.deliveries, before + hostile.length, 'no redelivery of refused messages');
    assert.deepEqual([later.pending, later.ackPending], [0, 0]);
    assert.deepEqual(auditStatuses(beta), statuses, 'no further audit lines');

    // The consumer survived all of it: the daemon runs and a genuine message sent now is stored.
    assert.equal(beta.daemon?.running, true, 'beta\'s daemon is still running');
    const next = await alpha.meshJson<{ results: { status: string; id: string }[] }>(['send', 'beta', 'notification', 'after the storm']);
    assert.equal(next.results[0]?.status, 'delivered');
    assert.deepEqual(inboxIds(beta).sort(), [genuineId, next.results[0]?.id as string].sort());
  });

  test('a forged receipt does not mark a message delivered', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const nats = await NatsFleetServers.start(1);
    servers.push(nats);
    const cluster = await natsFleet({ agents: ['alpha', 'beta'], servers: nats.urls, natsConfig: { receiptTimeoutMs: 1500 } });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    // beta's daemon is down: the message waits in the stream, no receipt comes.
    await beta.serve();
    await beta.daemon?.stop();
    const r = await alpha.mesh(['send', 'beta', 'notification', 'waiting', '--json']);
    assert.equal(r.code, 10, describeRun(r)); // queued: no receipt yet
    const id = (JSON.parse(r.stdout) as { results: { id: string; error: string }[] }).results[0]?.id as string;
    assert.equal((JSON.parse(r.stdout) as { results: { error: string }[] }).results[0]?.error, 'no_receipt');

    const nc = await connect({ servers: nats.urls });
    conns.push(nc);
    const js = jetstream(nc);
    const subject = `mesh.mesh.alpha.receipt.${id}`;
    const receipt = { v: 'mesh-receipt/1', id, from: 'beta', to: 'alpha', status: 202, duplicate: false };
    // Unsigned (beta must sign with the pair's HMAC key), then signed with a key that is not it.
    await js.publish(subject, JSON.stringify(receipt));
    await js.publish(subject, JSON.stringify({ ...receipt, signature: `sha256:${Buffer.alloc(32, 7).toString('base64')}` }));

    const drain = await alpha.mesh(['queue', 'drain', 'beta', '--force', '--rounds', '1']);
    assert.equal(drain.code, 0, describeRun(drain));
    assert.equal(alpha.outboxPending(), 1, 'still pending: the forged receipts were refused');

    await beta.serve();
    await waitFor('the genuine receipt', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      await alpha.mesh(['queue', 'drain', 'beta', '--force', '--rounds', '1']);
      return alpha.outboxPending() === 0 ? true : undefined;
    }, 500);
    assert.deepEqual(inboxIds(beta), [id]);
    assert.equal(alpha.count(`SELECT count(*) FROM outbox WHERE id = '${id}' AND state = 'delivered'`), 1);
  });
});
