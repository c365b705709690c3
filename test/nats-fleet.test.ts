/**
 * MESH over NATS JetStream with real nats-server processes (loopback, JetStream on file storage) and
 * real `mesh serve` daemons: request/response between two nodes, a fleet mixing NATS and HTTP peers,
 * and the failure cases of issue 14 — a server of a three-server cluster killed mid-stream, the
 * receiver's daemon killed with -9 mid-stream, a receiver that cannot store (redelivered until it can).
 * Every message must end in the receiver's inbox exactly once: the ids are compared.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseSync } from 'node:sqlite';
import { waitFor, type ClusterNode, type MeshCluster } from './support/mesh-cluster.ts';
import { describeRun, runNodeScript } from './support/mesh-process.ts';
import { inboxIds, natsFleet } from './support/nats-fleet.ts';
import { NATS_SKIP, NatsFleetServers } from './support/nats-server.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, CHILD_PROCESS_TIMEOUT_MS, CLI_WAIT_RUN_TIMEOUT_MS, CLI_WAIT_SECONDS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

const BULK_SEND = fileURLToPath(new URL('./support/bulk-send.ts', import.meta.url));
/** Hundreds of messages stored, some after retries (receipt time-outs, a server's fail-over). */
/** What beta logs when its store refuses a message (per message) or a whole batch. */
const STORE_FAILURE = /internal error while handling a message|could not commit a batch/;
const DRAIN_TIMEOUT_MS = 2 * BACKGROUND_WORK_TIMEOUT_MS;
/** A bulk sender's run: its first attempts may each wait for a receipt while a server or daemon is down. */
const BULK_SEND_TIMEOUT_MS = CHILD_PROCESS_TIMEOUT_MS + BACKGROUND_WORK_TIMEOUT_MS;

const clusters: MeshCluster[] = [];
const servers: NatsFleetServers[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
});

async function startServers(count: number): Promise<NatsFleetServers> {
  const s = await NatsFleetServers.start(count);
  servers.push(s);
  return s;
}

interface Bulk {
  ids: string[];
  queued: number;
}

/** `count` notifications from `from` to `to` through the node API (4 lanes); `onProgress` sees how many so far. */
async function bulkSend(from: ClusterNode, to: string, count: number, prefix: string, onProgress?: (n: number) => void): Promise<Bulk> {
  const ids: string[] = [];
  let queued = 0;
  const run = await runNodeScript(BULK_SEND, [from.home, to, String(count), '4', prefix], {
    timeoutMs: BULK_SEND_TIMEOUT_MS,
    onLine: (line) => {
      const r = JSON.parse(line) as { id: string | null; status: string };
      if (r.id !== null) ids.push(r.id);
      if (r.status === 'queued') queued++;
      onProgress?.(ids.length);
    },
  });
  assert.equal(run.code, 0, describeRun(run));
  assert.equal(ids.length, count);
  return { ids, queued };
}

/** Waits until every sender's outbox is empty and the receiver holds every id; then checks exactly once. */
async function assertStoredExactlyOnce(receiver: ClusterNode, senders: ClusterNode[], ids: readonly string[]): Promise<void> {
  assert.equal(new Set(ids).size, ids.length, 'distinct ids were sent');
  try {
    await waitFor('every message stored and every outbox drained', DRAIN_TIMEOUT_MS, () => {
      for (const s of senders) {
        if (s.deadLetters() > 0) throw new Error(`dead letters on ${s.name}: ${JSON.stringify(s.query('SELECT id, reason, last_error FROM dead_letters LIMIT 5'))}`);
      }
      const have = new Set(inboxIds(receiver));
      return ids.every((id) => have.has(id)) && senders.every((s) => s.outboxPending() === 0) ? true : undefined;
    }, 250);
  } catch (e) {
    const have = new Set(inboxIds(receiver));
    const missing = ids.filter((id) => !have.has(id));
    throw new Error(`${(e as Error).message}: ${missing.length} missing (${missing.slice(0, 3).join(', ')}); pending ${senders.map((s) => `${s.name}=${s.outboxPending()}`).join(' ')}`, { cause: e });
  }
  const stored = inboxIds(receiver);
  assert.equal(stored.length, new Set(stored).size, 'no id is stored twice');
  assert.deepEqual([...stored].sort(), [...ids].sort(), 'the inbox holds exactly the ids that were sent');
  for (const s of senders) {
    const delivered = s.count(`SELECT count(*) FROM outbox WHERE state = 'delivered' AND peer = '${receiver.name}'`);
    assert.ok(delivered >= ids.filter((id) => s.count(`SELECT count(*) FROM outbox WHERE id = '${id}'`) > 0).length, `${s.name}: every message it sent is marked delivered`);
  }
}

describe('MESH over NATS JetStream', { skip: NATS_SKIP, timeout: SUITE_TIMEOUT_MS }, () => {
  test('two nodes: signed notification, request and response over the bus; status shows the transport', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const nats = await startServers(1);
    const cluster = await natsFleet({ agents: ['alpha', 'beta'], servers: nats.urls });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    const answer = cluster.script('answer.sh', '#!/bin/sh\ncat > /dev/null\necho "42 from $MESH_FROM"\n');
    await beta.serve({ handler: answer });
    await alpha.serve();

    const sent = await alpha.meshJson<{ results: { status: string; id: string }[] }>(['send', 'beta', 'notification', 'hello over nats']);
    assert.equal(sent.results[0]?.status, 'delivered');
    const inbox = await beta.inbox();
    const got = inbox.find((m) => m.id === sent.results[0]?.id);
    assert.equal(got?.body, 'hello over nats');
    assert.equal(got?.auth, 'hmac', 'verified with the pair\'s key, as over HTTP');

    const req = await alpha.mesh(['request', 'beta', 'What is 6 x 7?', '--wait', String(CLI_WAIT_SECONDS)], { timeoutMs: CLI_WAIT_RUN_TIMEOUT_MS });
    assert.equal(req.code, 0, describeRun(req));
    assert.match(req.stdout, /42 from alpha/);

    const status = await alpha.meshJson<{ peers: { name: string; transport: string; endpoint: string }[] }>(['status']);
    assert.deepEqual(status.peers.map((p) => [p.name, p.transport, p.endpoint]), [['beta', 'nats', 'nats:beta']]);
    const ns = await alpha.meshJson<{ connected: boolean; streams: { name: string }[]; peers: { name: string; reachable: boolean }[] }>(['nats', 'status']);
    assert.equal(ns.connected, true);
    assert.deepEqual(ns.streams.map((s) => s.name), ['MESH_mesh_INBOX', 'MESH_mesh_RECEIPTS']);
    assert.deepEqual(ns.peers.map((p) => [p.name, p.reachable]), [['beta', true]]);
    // What the README's NATS walk-through reads to join a peer by its Ed25519 key.
    const show = await beta.meshJson<{ publicKey: string; natsCommand: string }>(['join', '--show']);
    assert.match(show.publicKey, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(show.natsCommand, `mesh join beta --nats --public-key ${show.publicKey}`);

    // A clean stop drains: the daemons exit 0 on their own, no SIGKILL.
    for (const n of [alpha, beta]) {
      const stopped = await n.daemon?.stop();
      assert.equal(stopped?.code, 0, n.daemon?.stderr);
      assert.equal(stopped?.forced, false);
    }
  });

  test('a fleet mixing NATS and HTTP peers: `mesh send all` reaches both', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const nats = await startServers(1);
    const cluster = await natsFleet({ agents: ['alpha', 'beta', 'gamma'], nats: ['alpha', 'beta'], servers: nats.urls });
    clusters.push(cluster);
    const [alpha, beta, gamma] = ['alpha', 'beta', 'gamma'].map((n) => cluster.node(n)) as [ClusterNode, ClusterNode, ClusterNode];
    await Promise.all([beta.serve(), gamma.serve()]);
    await alpha.serve();
    const r = await alpha.meshJson<{ results: { peer: string; status: string; id: string }[] }>(['send', 'all', 'notification', 'to everyone']);
    assert.deepEqual(r.results.map((x) => [x.peer, x.status]).sort(), [['beta', 'delivered'], ['gamma', 'delivered']]);
    assert.ok(inboxIds(beta).includes(r.results.find((x) => x.peer === 'beta')?.id ?? ''));
    assert.ok(inboxIds(gamma).includes(r.results.find((x) => x.peer === 'gamma')?.id ?? ''));
    const transports = (await alpha.meshJson<{ peers: { name: string; transport: string }[] }>(['status'])).peers.map((p) => [p.name, p.transport]);
    assert.deepEqual(transports, [['beta', 'nats'], ['gamma', 'http']]);
    // gamma (HTTP only) answers alpha over HTTP; beta over the bus.
    const back = await gamma.meshJson<{ results: { status: string }[] }>(['send', 'alpha', 'notification', 'from http']);
    assert.equal(back.results[0]?.status, 'delivered');
  });

  test('three nodes on a three-server cluster: a server killed mid-stream loses nothing', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const nats = await startServers(3);
    const cluster = await natsFleet({ agents: ['alpha', 'beta', 'gamma'], servers: nats.urls, replicas: 3 });
    clusters.push(cluster);
    const [alpha, beta, gamma] = ['alpha', 'beta', 'gamma'].map((n) => cluster.node(n)) as [ClusterNode, ClusterNode, ClusterNode];
    await beta.serve();
    await Promise.all([alpha.serve(), gamma.serve()]);
    const N = 150;
    // Kill the inbox stream's leader: the cluster must elect another while messages keep coming.
    const before = await beta.meshJson<{ streams: { name: string; servers: string[] }[] }>(['nats', 'status']);
    const leaderName = before.streams.find((st) => st.name === 'MESH_mesh_INBOX')?.servers[0];
    const victim = nats.servers.find((sv) => sv.name === leaderName);
    assert.ok(victim !== undefined, `the inbox stream has a leader among the servers: ${JSON.stringify(before.streams)}`);
    let killed = false;
    const killOne = async (): Promise<void> => {
      killed = true;
      await victim.kill();
    };
    const [a, g] = await Promise.all([
      bulkSend(alpha, 'beta', N, 'cluster-a', (n) => {
        if (n === 50 && !killed) void killOne();
      }),
      bulkSend(gamma, 'beta', N, 'cluster-g'),
    ]);
    assert.ok(killed, 'a server was killed while messages were being sent');
    await assertStoredExactlyOnce(beta, [alpha, gamma], [...a.ids, ...g.ids]);
    // The server comes back and catches up; the fleet keeps working through it.
    await victim.start();
    const more = await bulkSend(alpha, 'beta', 20, 'cluster-after');
    await assertStoredExactlyOnce(beta, [alpha, gamma], [...a.ids, ...g.ids, ...more.ids]);
    const disconnects = [alpha, beta, gamma].map((n) => `${n.name} ${String(n.daemon?.stderr.match(/nats: disconnected/g)?.length ?? 0)}`).join(', ');
    console.log(`# cluster: ${2 * N} messages while ${victim.name} (the inbox stream's leader) was killed; first attempts queued: ${a.queued + g.queued}; daemon disconnects: ${disconnects}`);
  });

  test('the receiver\'s daemon killed with -9 mid-stream: every message stored once after it restarts', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const nats = await startServers(1);
    const cluster = await natsFleet({ agents: ['alpha', 'beta'], servers: nats.urls, natsConfig: { ackWaitMs: 2000, receiptTimeoutMs: 2000 } });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    await alpha.serve();
    const first = await beta.serve();
    let restarted: Promise<unknown> | null = null;
    const b = await bulkSend(alpha, 'beta', 200, 'kill9', (n) => {
      if (n !== 60 || restarted !== null) return;
      restarted = (async () => {
        await first.crash();
        await sleep(1_500);
        await beta.serve();
      })();
    });
    await restarted;
    assert.ok(restarted !== null, 'beta was killed mid-stream');
    await assertStoredExactlyOnce(beta, [alpha], b.ids);
    console.log(`# kill -9: 200 messages, ${b.queued} first attempts waited for a receipt past the crash`);
  });

  test('a receiver that cannot store nak\'s and is redelivered: nothing lost, nothing twice', { timeout: SUITE_TIMEOUT_MS }, async () => {
    const nats = await startServers(1);
    const cluster = await natsFleet({ agents: ['alpha', 'beta'], servers: nats.urls, natsConfig: { receiptTimeoutMs: 2000 } });
    clusters.push(cluster);
    const alpha = cluster.node('alpha');
    const beta = cluster.node('beta');
    await beta.serve();
    await alpha.serve();
    // Make beta's store refuse every inbox row (a trigger that aborts the insert, as a failing disk
    // would): its batches fail (500), the consumer naks them, and the server redelivers them until
    // the store accepts them again. A trigger fails the commit at once, whatever the busy timeout
    // and however loaded the machine is; holding the write lock did not (a synchronous busy wait
    // elsewhere in the daemon could outlast it).
    const db = new DatabaseSync(beta.databaseFile);
    let sent: Bulk;
    try {
      db.exec("CREATE TRIGGER test_refuse_inbox BEFORE INSERT ON inbox BEGIN SELECT RAISE(ABORT, 'test: the store refuses messages'); END");
      sent = await bulkSend(alpha, 'beta', 40, 'refused');
      await waitFor('beta failed to store a message', BACKGROUND_WORK_TIMEOUT_MS, () => (STORE_FAILURE.test(beta.daemon?.stderr ?? '') ? true : undefined));
    } finally {
      db.exec('DROP TRIGGER IF EXISTS test_refuse_inbox');
      db.close();
    }
    await assertStoredExactlyOnce(beta, [alpha], sent.ids);
    const ns = await beta.meshJson<{ consumer: { deliveries: number; pending: number; ackPending: number } }>(['nats', 'status']);
    const failures = beta.daemon?.stderr.match(new RegExp(STORE_FAILURE, 'g'))?.length ?? 0;
    assert.ok(failures > 0, `the receiver failed to store at least one message:\n${beta.daemon?.stderr.slice(-2000) ?? ''}`);
    // Deliveries beyond one per message are the server's redeliveries of what beta nak'd.
    assert.ok(ns.consumer.deliveries > sent.ids.length, `redelivered: ${ns.consumer.deliveries} deliveries for ${sent.ids.length} messages`);
    assert.equal(ns.consumer.pending, 0);
    assert.equal(ns.consumer.ackPending, 0);
    console.log(`# refusing receiver: ${failures} failed store(s); ${ns.consumer.deliveries} deliveries for ${sent.ids.length} messages`);
  });
});
