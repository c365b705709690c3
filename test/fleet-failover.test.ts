/**
 * Relay failover that relays, with five real daemons, each in its own network namespace (a real
 * partition: blackhole routes cut alpha ↔ delta while both still reach everyone else). Why namespaces
 * and not a deny list in a test transport: the daemons under test are the ones users run, unmodified,
 * and the partition is the kernel's, so the probes, the circuit breakers and the routing see exactly
 * what they would see on a broken network. Skips (saying why) where namespaces cannot be made.
 *
 *   hub (role hub) · alpha · beta · gamma (role relay) · delta
 *   alpha ↔ delta sign with HMAC and share a GCM key; every other pair signs with Ed25519.
 *
 * 1. SIGKILL the hub: one election, the same epoch and relay (gamma) on every node.
 * 2. Cut alpha ↔ delta: alpha's route to delta goes via gamma; an encrypted, signed message from alpha
 *    reaches delta through gamma, which forwarded the exact bytes it could not read; delta verified
 *    alpha's HMAC over the envelope without the relay marker.
 * 3. The hub comes back: a higher epoch with relay null on every node (the hub included); routes direct.
 * 4. A stale-epoch announcement (signed, from a registry peer) is ignored and audited.
 * 5. SIGSTOP the hub (it hangs: connections open, nothing answers): the probe time-out bounds each
 *    probe, a new election follows; SIGCONT, and the fleet goes back to direct.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { NetFleet, type FleetNode } from './support/netns-fleet.ts';
import { netnsUnavailable } from './support/netns-lab.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './support/timeouts.ts';

const unavailable = netnsUnavailable();

interface Routes { agent: string; relay: string | null; epoch: number; electedBy: string | null; routes: Record<string, { route: string; via: string | null }> }
interface HealthView { peers: { name: string; status: string; meshNode: boolean | null; forwards: boolean; detail: string | null }[] }

const SECRET = 'the launch code is 0000 (relayed)';

describe('relay failover through network namespaces', { skip: unavailable ?? false }, () => {
  let fleet: NetFleet;
  const routes = (n: FleetNode): Promise<Routes> => n.meshJson<Routes>(['discover', 'routes']);
  /**
   * Waits until every given node follows the same relay and epoch (and, with `sameElector`, the same
   * election: nodes cut off from each other may each have announced that epoch) and `pred` holds.
   */
  async function converged(nodes: readonly FleetNode[], what: string, pred: (r: Routes) => boolean, sameElector = true, timeoutMs = 60_000): Promise<Routes> {
    let last: Routes[] = [];
    try {
      return await waitFor(what, timeoutMs, async () => {
        const all = await Promise.all(nodes.map(routes));
        last = all;
        const first = all[0] as Routes;
        const same = all.every((r) => r.epoch === first.epoch && r.relay === first.relay && (!sameElector || r.electedBy === first.electedBy));
        return same && pred(first) ? first : undefined;
      }, 250);
    } catch (e) {
      throw new Error(`${(e as Error).message}; last seen: ${JSON.stringify(last.map((r) => [r.agent, r.epoch, r.relay, r.electedBy]))}`, { cause: e });
    }
  }
  const live = (): FleetNode[] => fleet.nodes.filter((n) => n.name !== 'hub');

  before(async () => {
    fleet = await NetFleet.create({
      nodes: [{ name: 'hub', role: 'hub' }, { name: 'alpha', role: 'peer' }, { name: 'beta', role: 'peer' }, { name: 'gamma', role: 'relay' }, { name: 'delta', role: 'peer' }],
      hmacPairs: [['alpha', 'delta']],
      config: {
        fleet: { probeIntervalMs: 500, probeTimeoutMs: 1_500, unreachableAfterFailures: 2, electionHoldMs: 1_500 },
        delivery: { retryDelaysMs: [0, 1_000, 2_000, 4_000], requestTimeoutMs: 3_000, connectTimeoutMs: 1_500, breakerFailureThreshold: 2, breakerCooldownMs: 2_000 },
      },
    });
    await Promise.all(fleet.nodes.map((n) => n.serve()));
    // Everyone has probed everyone: the relay's forward/1 and every peer's relay/1 are known.
    await waitFor('every node to see every peer up', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      const views = await Promise.all(fleet.nodes.map((n) => n.meshJson<HealthView>(['discover', 'status'])));
      return views.every((v) => v.peers.length === 4 && v.peers.every((p) => p.status === 'up' && p.meshNode === true)) ? true : undefined;
    }, 250);
  });

  after(async () => {
    await fleet?.close();
  });

  let epochAfterKill = 0;

  test('SIGKILL the hub: every node follows one election, relay gamma, with its epoch', async () => {
    await fleet.node('hub').daemon?.crash();
    const r = await converged(live(), 'one election on every node', (x) => x.relay === 'gamma');
    assert.ok(r.epoch >= 1);
    epochAfterKill = r.epoch;
    for (const n of live()) {
      const events = n.query<{ data: string }>("SELECT data FROM events WHERE type = 'relay.elected' ORDER BY seq");
      const last = JSON.parse(events.at(-1)?.data ?? '{}') as { epoch: number; relay: string };
      assert.deepEqual([last.epoch, last.relay], [r.epoch, 'gamma'], `${n.name} emitted relay.elected`);
    }
    const elector = fleet.node(r.electedBy as string);
    assert.ok(elector.query("SELECT 1 FROM audit WHERE status = 'relay_elected'").length >= 1, 'the election is audited where it ran');
  });

  test('alpha cannot reach delta directly: its message goes through gamma, which cannot read or alter it', async () => {
    const alpha = fleet.node('alpha');
    const delta = fleet.node('delta');
    const gamma = fleet.node('gamma');
    fleet.lab.cut(alpha.index, delta.index);
    await waitFor('alpha to route delta via gamma', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      const r = await routes(alpha);
      return r.routes['delta']?.route === 'relay' && r.routes['delta'].via === 'gamma' ? true : undefined;
    }, 250);
    const sent = await alpha.meshJson<{ results: { id: string; status: string; via?: string; signed: boolean; encrypted: { body: boolean } }[] }>(['send', 'delta', 'notification', SECRET, '--encrypt']);
    const result = sent.results[0];
    assert.deepEqual([result?.status, result?.via, result?.signed, result?.encrypted.body], ['delivered', 'gamma', true, true], JSON.stringify(sent));
    const id = result?.id as string;
    const inbox = await waitFor('delta to receive it', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      const box = await delta.meshJson<{ messages: { id: string; from: string; auth: string; body: string }[] }>(['inbox', '--limit', '0']);
      return box.messages.find((m) => m.id === id);
    }, 250);
    assert.deepEqual([inbox.from, inbox.auth, inbox.body], ['alpha', 'hmac', SECRET], 'delta verified alpha\'s HMAC and decrypted');
    // The bytes delta verified are alpha's, plus the marker: nothing else changed on the way.
    const signed = alpha.query<{ envelope: string }>('SELECT envelope FROM outbox WHERE id = ?', id)[0]?.envelope as string;
    const received = delta.query<{ envelope: string }>('SELECT envelope FROM inbox WHERE id = ?', id)[0]?.envelope as string;
    assert.equal(received, `${signed.slice(0, -1)},"relay":{"from":"alpha","via":"gamma","originalTo":"delta"}}`);
    assert.equal(delta.query<{ detail: string }>("SELECT detail FROM audit WHERE msg_id = ? AND status = 'received'", id)[0]?.detail, 'auth=hmac; via gamma');
    // gamma forwarded it and never had the plaintext.
    assert.equal(gamma.query("SELECT 1 FROM audit WHERE msg_id = ? AND status = 'relay_forwarded'", id).length, 1);
    const atRelay = gamma.query<{ envelope: string; state: string }>('SELECT envelope, state FROM outbox WHERE id = ?', id)[0];
    assert.equal(atRelay?.state, 'delivered');
    assert.equal(atRelay?.envelope, received);
    assert.ok(!atRelay?.envelope.includes('launch code'), 'the relay holds ciphertext only');
    assert.equal(gamma.query('SELECT 1 FROM inbox WHERE id = ?', id).length, 0, 'not for the relay\'s agent');
    assert.ok(alpha.query("SELECT 1 FROM audit WHERE msg_id = ? AND status = 'relayed_via_gamma'", id).length === 1);
  });

  test('the hub returns: a higher epoch with relay null on every node, routes go direct again', async () => {
    const alpha = fleet.node('alpha');
    const delta = fleet.node('delta');
    await fleet.node('hub').serve();
    // alpha and delta are still cut off from each other: each may follow another node's announcement
    // of the same epoch (all say relay null), so only relay and epoch must agree here.
    const r = await converged(fleet.nodes, 'every node, the hub too, back to direct', (x) => x.relay === null && x.epoch > epochAfterKill, false);
    assert.ok(r.epoch > epochAfterKill);
    const a = await routes(alpha);
    assert.deepEqual(Object.values(a.routes).map((x) => x.route), ['direct', 'direct', 'direct', 'direct']);
    fleet.lab.heal(alpha.index, delta.index);
    await waitFor('alpha to reach delta again', BACKGROUND_WORK_TIMEOUT_MS, async () => {
      const v = await alpha.meshJson<HealthView>(['discover', 'probe']);
      return v.peers.find((p) => p.name === 'delta')?.status === 'up' ? true : undefined;
    }, 500);
    const sent = await alpha.meshJson<{ results: { status: string; via?: string }[] }>(['send', 'delta', 'notification', 'direct again']);
    assert.deepEqual([sent.results[0]?.status, sent.results[0]?.via], ['delivered', undefined]);
  });

  test('a stale-epoch announcement is ignored and audited, and never reaches the agent', async () => {
    const beta = fleet.node('beta');
    const gamma = fleet.node('gamma');
    const before = await routes(gamma);
    const stale = { meshElection: { v: 1, epoch: epochAfterKill, hub: 'hub', relay: 'beta', electedBy: 'beta', at: new Date().toISOString() } };
    const sent = await beta.meshJson<{ results: { id: string; status: string }[] }>(['send', 'gamma', 'notification', 'stale election', '--metadata', JSON.stringify(stale)]);
    assert.equal(sent.results[0]?.status, 'delivered', JSON.stringify(sent));
    const id = sent.results[0]?.id as string;
    const after = await routes(gamma);
    assert.deepEqual([after.epoch, after.relay, after.electedBy], [before.epoch, before.relay, before.electedBy]);
    const audit = gamma.query<{ detail: string }>("SELECT detail FROM audit WHERE msg_id = ? AND status = 'election_ignored'", id);
    assert.equal(audit.length, 1);
    assert.match(audit[0]?.detail ?? '', /^epoch \d+; relay beta; hub hub; by beta; stale; from beta$/);
    const row = gamma.query<{ delivery_state: string; read_at: number | null }>('SELECT delivery_state, read_at FROM inbox WHERE id = ?', id)[0];
    assert.equal(row?.delivery_state, 'none');
    assert.ok(row?.read_at !== null, 'an announcement is read on arrival: it never shows as unread in the inbox');
  });

  test('SIGSTOP the hub: probes time out (bounded), a new election; SIGCONT: back to direct', async () => {
    const hub = fleet.node('hub');
    const alpha = fleet.node('alpha');
    const before = await routes(alpha);
    hub.daemon?.pause();
    const r = await converged(live(), 'an election while the hub hangs', (x) => x.relay === 'gamma' && x.epoch > before.epoch);
    const hubHealth = alpha.query<{ detail: string | null; latency_ms: number | null }>("SELECT detail, latency_ms FROM peer_health WHERE peer = 'hub'")[0];
    assert.equal(hubHealth?.detail, 'timeout', 'a hung peer is a time-out, not a wait for ever');
    hub.daemon?.resume();
    const back = await converged(fleet.nodes, 'direct again after SIGCONT', (x) => x.relay === null && x.epoch > r.epoch);
    assert.ok(back.epoch > r.epoch);
    const s = await alpha.mesh(['status', '--compact']);
    assert.equal(s.code, 0, describeRun(s));
    assert.match(s.stdout, new RegExp(`hub hub \\(up\\) \\| relay none #${back.epoch}`));
  });
});
