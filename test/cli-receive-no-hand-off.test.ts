/**
 * `mesh receive` is how the agent verifies a message it already holds (the direct topology: a peer
 * posted the envelope to the agent's own gateway). On a node whose hand-off is "openclaw", the
 * message it records must not be queued for hand-off too: `mesh serve` would post it to the gateway
 * and the agent would get it a second time (and run `mesh receive` on it again). Real CLI processes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MeshCluster, type ClusterNode } from './support/mesh-cluster.ts';
import { SUITE_TIMEOUT_MS } from './support/timeouts.ts';

describe('mesh receive records a message the agent already has', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    alpha = cluster.node('alpha');
    beta = cluster.node('beta');
    beta.updateConfig({ inbound: { handOff: 'openclaw' }, openclaw: { gatewayUrl: 'http://127.0.0.1:9', hookToken: 'gateway-hook-token' } });
  });
  after(async () => {
    await cluster?.close();
  });

  test('the recorded row is not pending hand-off', async () => {
    const dry = await alpha.meshJson<{ results: { id: string; envelope: Record<string, unknown> }[] }>(['send', 'beta', 'notification', 'direct hello', '--dry-run']);
    const [r] = dry.results;
    assert.ok(r);
    const received = await beta.meshJson<{ ok: boolean; id: string }>(['receive', JSON.stringify(r.envelope)]);
    assert.deepEqual([received.ok, received.id], [true, r.id]);
    const rows = beta.query<{ delivery_state: string }>('SELECT delivery_state FROM inbox WHERE id = ?', r.id);
    assert.deepEqual(rows.map((x) => x.delivery_state), ['none']);
  });
});
