/**
 * MESH fleets on NATS for integration tests: a MeshCluster (homes set up with the real CLI, an HMAC
 * key per pair) whose NATS nodes get a `nats` section (`mesh nats setup`) and reach each other with
 * `mesh join <peer> --nats`; nodes left out of `nats` stay HTTP-only, so a fleet can mix both.
 */
import assert from 'node:assert/strict';
import { MeshCluster, type ClusterNode, type JsonObject } from './mesh-cluster.ts';
import { describeRun } from './mesh-process.ts';

export interface NatsFleetOptions {
  agents: string[];
  /** Agents on the bus (default: all). The others are reached over HTTP only. */
  nats?: string[];
  servers: string[];
  /** Stream replicas (3 on a 3-server cluster). */
  replicas?: number;
  /** Deep-merged into every node's config/mesh.json. */
  config?: JsonObject;
  /** Deep-merged into the `nats` section of the NATS nodes. */
  natsConfig?: JsonObject;
}

/** Short retries and time-outs so a test sees recovery within seconds. */
export const FAST_DELIVERY: JsonObject = {
  delivery: {
    retryDelaysMs: [0, 500, 1000, 2000, 2000, 2000, 4000, 4000, 8000, 8000, 8000, 8000],
    breakerFailureThreshold: 5,
    breakerCooldownMs: 500,
    requestTimeoutMs: 8000,
    connectTimeoutMs: 2000,
  },
  // The default per-sender budget (20/s) would make every bulk test a rate-limit test.
  serve: { rateLimitPerSecond: 10_000, rateLimitBurst: 10_000 },
};

export async function natsFleet(o: NatsFleetOptions): Promise<MeshCluster> {
  const cluster = await MeshCluster.create({ agents: o.agents, config: { ...FAST_DELIVERY, ...o.config } });
  try {
    const onBus = o.nats ?? o.agents;
    for (const name of onBus) {
      const n = cluster.node(name);
      const args = ['nats', 'setup', '--server', o.servers.join(','), ...(o.replicas === undefined ? [] : ['--replicas', String(o.replicas)])];
      const r = await n.mesh(args);
      assert.equal(r.code, 0, describeRun(r));
      if (o.natsConfig !== undefined) {
        const cur = JSON.parse(JSON.stringify(o.natsConfig)) as JsonObject;
        n.updateConfig({ nats: cur });
      }
    }
    await Promise.all(onBus.map(async (name) => {
      const n = cluster.node(name);
      for (const p of onBus) {
        if (p === name) continue;
        const r = await n.mesh(['join', p, '--nats', '--no-probe']);
        assert.equal(r.code, 0, describeRun(r));
      }
    }));
  } catch (e) {
    await cluster.close();
    throw e;
  }
  return cluster;
}

/** Ids of the receiver's inbox rows. */
export function inboxIds(node: ClusterNode): string[] {
  return node.query<{ id: string }>('SELECT id FROM inbox').map((r) => r.id);
}
