/**
 * `mesh status` and `mesh discover` as a user runs them, against three real daemons on loopback
 * (hub, alpha, gamma with role relay), probing every 300 ms. The failover with a real partition is
 * test/fleet-failover.test.ts (network namespaces).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { MeshCluster, waitFor, type JsonObject } from './support/mesh-cluster.ts';
import { childEnv, describeRun, killGroup, MESH_BIN, REPO_ROOT, track } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './support/timeouts.ts';

interface PeerView { name: string; endpoint: string; status: string; medianMs: number | null; p95Ms: number | null; samples: number; failures: number; circuit: string; route: string; via: string | null; meshNode: boolean | null; forwards: boolean }
interface Status { agent: string; hub: { name: string | null; status: string }; relay: string | null; epoch: number; electedBy: string | null; peers: PeerView[]; recent: { id: string | null; direction: string; to: string | null }[] }

// A generous probe time-out: on a loaded machine a live hub must not look hung (a killed one is refused at once).
const FLEET = { probeIntervalMs: 300, probeTimeoutMs: 5_000, unreachableAfterFailures: 2, electionHoldMs: 0 };

describe('mesh status and mesh discover (three daemons on loopback)', () => {
  let cluster: MeshCluster;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['hub', 'alpha', 'gamma'], config: { fleet: FLEET, delivery: { breakerCooldownMs: 1_000 } } });
    for (const n of cluster.nodes) {
      n.updateRegistry((reg) => {
        (reg.agents['hub'] as JsonObject)['role'] = 'hub';
        (reg.agents['gamma'] as JsonObject)['role'] = 'relay';
      });
    }
    await Promise.all(cluster.nodes.map((n) => n.serve()));
  });

  after(async () => {
    await cluster?.close();
  });

  test('discover probe records reachability, latency and what each peer is', async () => {
    const alpha = cluster.node('alpha');
    const r = await alpha.meshJson<{ agent: string; up: number; total: number; peers: PeerView[] }>(['discover', 'probe']);
    assert.deepEqual([r.agent, r.up, r.total], ['alpha', 2, 2]);
    const byName = new Map(r.peers.map((p) => [p.name, p]));
    assert.equal(byName.get('hub')?.endpoint, cluster.node('hub').url);
    for (const p of r.peers) {
      assert.equal(p.status, 'up');
      assert.ok(p.samples >= 1 && p.medianMs !== null && p.p95Ms !== null && p.p95Ms >= p.medianMs, JSON.stringify(p));
      assert.equal(p.meshNode, true);
    }
    assert.equal(byName.get('gamma')?.forwards, true, 'role relay forwards by default');
    assert.equal(byName.get('hub')?.forwards, true, 'role hub forwards by default');
    const human = await alpha.mesh(['discover', 'status']);
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stdout, /^gamma\s+http:\/\/127\.0\.0\.1:\d+\s+up\s+[\d.]+\/[\d.]+ ms/m);
  });

  test('status --json has .agent, the peers with latency, circuit and route, the hub; --compact is one line', async () => {
    const alpha = cluster.node('alpha');
    const s = await waitFor('the daemon\'s probes', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      const x = await alpha.meshJson<Status>(['status']);
      return x.peers.every((p) => p.samples >= 3) ? x : undefined;
    });
    assert.equal(s.agent, 'alpha');
    assert.deepEqual(s.hub, { name: 'hub', status: 'up' });
    assert.equal(s.relay, null);
    assert.deepEqual(s.peers.map((p) => [p.name, p.status, p.circuit, p.route]), [['hub', 'up', 'closed', 'direct'], ['gamma', 'up', 'closed', 'direct']]);
    const compact = await alpha.mesh(['status', '--compact']);
    assert.equal(compact.code, 0, describeRun(compact));
    // Daemons start one after another: a node that probed the hub before it listened may have elected
    // a relay and ended it again (`relay none #2`); what counts is that no relay is followed now.
    assert.match(compact.stdout, /^MESH alpha \| peers 2\/2 up \| queue 0 \| dead 0 \| circuits all closed \| hub hub \(up\) \| relay none( #\d+)? \| msgs out \d+ in \d+\n$/);
  });

  test('status --watch (not a terminal) prints a new snapshot when something happens', async () => {
    const alpha = cluster.node('alpha');
    const child = spawn(process.execPath, [MESH_BIN, 'status', '--watch', '--json', '--home', alpha.home], {
      cwd: REPO_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    track(child);
    const snapshots: Status[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      const lines = (partial + c).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') snapshots.push(JSON.parse(l) as Status);
    });
    try {
      await waitFor('the first snapshot', BACKGROUND_WORK_TIMEOUT_MS, () => (snapshots.length > 0 ? true : undefined));
      const sent = await alpha.meshJson<{ results: { id: string; status: string }[] }>(['send', 'gamma', 'notification', 'watch me']);
      const id = sent.results[0]?.id;
      assert.equal(sent.results[0]?.status, 'delivered');
      const seen = await waitFor('a snapshot showing the message', BACKGROUND_WORK_TIMEOUT_MS, () => snapshots.find((s) => s.recent.some((m) => m.id === id)));
      const shown = seen.recent.find((m) => m.id === id);
      assert.deepEqual([shown?.direction, shown?.to], ['out', 'gamma']);
    } finally {
      killGroup(child, 'SIGINT');
    }
    const code = await new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (c) => resolve(c));
    });
    assert.equal(code, 0, 'Ctrl-C ends the watch cleanly');
  });

  test('kill the hub: an election, the same relay and epoch on every node; routes and status show it', async () => {
    await cluster.node('hub').daemon?.crash();
    const views = await waitFor('every node to follow one election', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      const all = await Promise.all(['alpha', 'gamma'].map((n) => cluster.node(n).meshJson<{ relay: string | null; epoch: number; electedBy: string | null }>(['discover', 'routes'])));
      return all.every((v) => v.relay === 'gamma' && v.epoch === all[0]?.epoch && v.electedBy === all[0]?.electedBy) ? all : undefined;
    });
    assert.ok((views[0]?.epoch ?? 0) >= 1);
    const s = await cluster.node('alpha').meshJson<Status>(['status']);
    assert.deepEqual([s.hub.status, s.relay], ['down', 'gamma']);
    const compact = await cluster.node('alpha').mesh(['status', '--compact']);
    assert.match(compact.stdout, new RegExp(`hub hub \\(DOWN\\) \\| relay gamma #${views[0]?.epoch}`));
    const audit = cluster.node('alpha').query<{ status: string }>("SELECT status FROM audit WHERE status IN ('relay_elected', 'relay_followed')");
    assert.ok(audit.length >= 1, 'the election is audited');
  });
});
