/**
 * The SDK against real daemons (mesh serve in other processes): send, request with its answer and
 * its time-out, typed errors, and a subscription that follows the event log across a restart of the
 * daemon and a restart of itself (resumed from its cursor), compared with the log: every event
 * once, in order, none missed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isMeshError, openMesh, type Mesh } from '../src/index.ts';
import type { EventSubscription } from '../src/node/event-subscription.ts';
import type { MeshEventRecord } from '../src/ports/store.ts';
import { MeshCluster, waitFor } from './support/mesh-cluster.ts';

let cluster: MeshCluster;
let mesh: Mesh;

before(async () => {
  cluster = await MeshCluster.create({
    agents: ['alpha', 'beta'],
    config: { delivery: { retryDelaysMs: [0, 300, 500, 1000, 1000, 1000, 1000, 2000, 2000, 2000], breakerFailureThreshold: 50 } },
  });
  await cluster.node('beta').serve({ handler: cluster.script('answer.sh', '#!/bin/sh\necho "answer to $MESH_ID"\n') });
  await cluster.node('alpha').serve();
  mesh = openMesh({ home: cluster.node('alpha').home, env: {} });
});
after(async () => {
  await mesh?.close();
  await cluster?.close();
});

/** Collects a subscription's records in the background until it ends. */
function collect(sub: EventSubscription): { records: MeshEventRecord[]; done: Promise<void> } {
  const records: MeshEventRecord[] = [];
  const done = (async () => {
    for await (const r of sub) records.push(r);
  })();
  return { records, done };
}

const logSeqs = (after: number): number[] =>
  cluster.node('alpha').query<{ seq: number }>('SELECT seq FROM events WHERE seq > ? ORDER BY seq', after).map((r) => r.seq);

test('send, request and typed errors', async () => {
  const [sent] = await mesh.send('beta', 'hello from the SDK', { subject: 'greeting' });
  assert.equal(sent?.status, 'delivered');
  assert.equal(sent?.peer, 'beta');
  const answer = await mesh.request('beta', 'what is the answer?', { timeoutMs: 60_000 });
  assert.equal(answer.from, 'beta');
  assert.equal(answer.type, 'response');
  assert.ok(answer.correlationId?.startsWith('msg_'));
  assert.equal(answer.body, `answer to ${answer.correlationId}`);
  assert.equal(answer.read, true, 'the answer is marked read');
  assert.equal(mesh.inbox.read(answer.id).read, true);

  // status() carries what `mesh status --json` reports, from the same function.
  const fleet = mesh.status().fleet;
  const cli = await cluster.node('alpha').meshJson<{ peers: { name: string; route: string }[]; recent: { id: string }[]; messages: unknown }>(['status']);
  assert.deepEqual(fleet.peers.map((p) => [p.name, p.route]), cli.peers.map((p) => [p.name, p.route]));
  assert.deepEqual(fleet.messages, cli.messages);
  assert.deepEqual(fleet.recent.map((r) => r.id), cli.recent.map((r) => r.id));
  assert.ok(fleet.recent.some((r) => r.id === sent?.id && r.subject === 'greeting'), 'the greeting is among the recent messages');

  await assert.rejects(mesh.send('nobody', 'x'), (e) => isMeshError(e) && e.code === 'UNKNOWN_AGENT');
  await assert.rejects(mesh.request('beta,alpha', 'x'), (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT');
  await assert.rejects(mesh.send('beta', ''), (e) => isMeshError(e) && e.code === 'INVALID_ARGUMENT');
  await assert.rejects(mesh.reply('msg_00000000-0000-4000-8000-000000000000', 'x'), (e) => isMeshError(e) && e.code === 'NOT_FOUND');
  assert.throws(() => mesh.inbox.ack('msg_nope'), (e) => isMeshError(e) && e.code === 'NOT_FOUND');
  assert.throws(() => openMesh({ home: cluster.path('no-such-home'), env: {} }), (e) => isMeshError(e) && e.code === 'NOT_INITIALIZED');
});

test('a request nobody answers in time rejects with TIMEOUT and names the request', async () => {
  const beta = cluster.node('beta');
  await beta.daemon?.stop(10_000);
  try {
    await assert.rejects(mesh.request('beta', 'anyone there?', { timeoutMs: 1_500 }), (e) => {
      assert.ok(isMeshError(e) && e.code === 'TIMEOUT', String(e));
      assert.match(String(e.details['requestId']), /^msg_/);
      return true;
    });
  } finally {
    await beta.serve({ handler: cluster.script('answer.sh', '#!/bin/sh\necho "answer to $MESH_ID"\n') });
  }
});

test('subscribe follows the log across a daemon restart and its own restart from the cursor: every event once, in order', async () => {
  const alpha = cluster.node('alpha');
  const start = mesh.status().eventSeq;
  const sub0 = mesh.subscribe({}, { after: start, pollIntervalMs: 50 });
  const first = collect(sub0);
  const sub1 = mesh.subscribe({}, { after: start, pollIntervalMs: 50 });
  const a = collect(sub1);

  await mesh.send('beta', 'one');
  await mesh.request('beta', 'two?', { timeoutMs: 60_000 });

  // The daemon goes away while the subscription waits; beta's message queues at beta meanwhile.
  await alpha.daemon?.stop(10_000);
  const [queued] = await cluster.node('beta').meshJson<{ results: { status: string }[] }>(['send', 'alpha', 'notification', 'while you were out'], 10).then((j) => j.results);
  assert.equal(queued?.status, 'queued');
  await alpha.serve();
  // beta's daemon retries; alpha's new daemon records it: the subscription (another process) sees it.
  await waitFor('the queued message at alpha', 30_000, () =>
    a.records.some((r) => r.type === 'message.received' && (r.data as Record<string, unknown>)['from'] === 'beta' && (r.data as Record<string, unknown>)['messageType'] === 'notification') ? true : undefined);

  // This reader stops; events keep coming; a new reader (a new process would do the same) resumes.
  const cursor = sub1.cursor;
  sub1.close();
  await a.done;
  await mesh.send('beta', 'three');
  await mesh.request('beta', 'four?', { timeoutMs: 60_000 });
  const again = openMesh({ home: alpha.home, env: {} });
  try {
    const sub2 = again.subscribe({}, { after: cursor, pollIntervalMs: 50 });
    const b = collect(sub2);
    const last = alpha.count('SELECT max(seq) AS n FROM events');
    await waitFor('the resumed reader to reach the end of the log', 30_000, () => (sub2.cursor >= last ? true : undefined));
    sub2.close();
    await b.done;

    const seen = [...a.records, ...b.records].map((r) => r.seq);
    const logged = logSeqs(start).filter((s) => s <= last);
    assert.deepEqual(seen, logged, 'the two readers together saw exactly the log, in order, once each');
    assert.ok(a.records.length > 0 && b.records.length > 0);
    // The reader that never stopped saw the same records with the same content.
    await waitFor('the first reader', 30_000, () => (first.records.at(-1)?.seq ?? 0) >= last ? true : undefined);
    assert.deepEqual(first.records.filter((r) => r.seq <= last), [...a.records, ...b.records]);
  } finally {
    sub0.close();
    await again.close();
  }
});

test('waitForMessage returns the message a peer sends, and null at its time-out', async () => {
  const beta = cluster.node('beta');
  const pending = mesh.waitForMessage({ from: 'beta', type: 'alert' }, { timeoutMs: 60_000, markRead: true });
  await beta.meshJson(['send', 'alpha', 'alert', 'disk 95% on db1']);
  const got = await pending;
  assert.equal(got?.body, 'disk 95% on db1');
  assert.equal(got?.read, true);
  assert.equal(await mesh.waitForMessage({ from: 'beta', type: 'alert' }, { timeoutMs: 300 }), null, 'the one read is not returned again');
});
