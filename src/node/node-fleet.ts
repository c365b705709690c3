/**
 * The fleet service of a node (fleet/), created on first use: wired to the node's store, HTTP
 * transport (GET /health probes), the delivery service's circuit breaker (one notion of health), the
 * event bus, the audit log and `mesh send` as its announcement port. Also what the rest of the node
 * needs to know about the fleet: the hub, whether this node forwards, what its /health advertises.
 */
import { createFleetService, type FleetService } from '../fleet/fleet-service.ts';
import type { FleetOptionsInput } from '../fleet/fleet-options.ts';
import { FEATURE_BATCH } from '../protocol/hook-batch.ts';
import { FEATURE_FORWARD, FEATURE_RELAY } from '../protocol/node-features.ts';
import type { MeshNode } from './mesh-node.ts';
import type { NodeConfig } from './node-config.ts';
import { createNodeFleetOutbound } from './node-fleet-outbound.ts';

/** Roles that forward relayed envelopes unless config says `fleet.relay: false`. */
export const FORWARDING_ROLES: readonly string[] = ['relay', 'sre', 'hub'];

const services = new WeakMap<MeshNode, FleetService>();
const inputs = new WeakMap<MeshNode, { config: NodeConfig; registry: unknown; input: FleetOptionsInput }>();

/** Registry agent names in file order, this node included. */
export function registryOrder(node: MeshNode): string[] {
  return Object.keys(node.registry.current().file.agents);
}

/** The hub: `fleet.hub` when it names a registry agent, else the first registry agent with role "hub". */
export function hubOf(node: MeshNode): string | null {
  const configured = node.config.fleet.hub;
  if (configured !== null) return node.registry.get(configured) === null ? null : configured;
  for (const name of registryOrder(node)) if (node.registry.get(name)?.role === 'hub') return name;
  return null;
}

/** This node forwards relayed envelopes: `fleet.relay`, else by its role (relay, sre, hub). */
export function forwardsRelayed(node: MeshNode): boolean {
  const configured = node.config.fleet.relay;
  if (configured !== null) return configured;
  return FORWARDING_ROLES.includes(node.selfEntry()?.role ?? 'peer');
}

/** What this node's GET /health advertises (protocol/node-features.ts). */
export function healthFeatures(node: MeshNode): string[] {
  return forwardsRelayed(node) ? [FEATURE_RELAY, FEATURE_FORWARD, FEATURE_BATCH] : [FEATURE_RELAY, FEATURE_BATCH];
}

/** Fleet options from config/mesh.json and the registry (the same object while neither changes). */
function optionsOf(node: MeshNode): FleetOptionsInput {
  const config = node.config;
  const registry = node.registry.current();
  const cached = inputs.get(node);
  if (cached?.config === config && cached.registry === registry) return cached.input;
  const f = config.fleet;
  const input: FleetOptionsInput = {
    probeIntervalMs: f.probeIntervalMs,
    probeTimeoutMs: f.probeTimeoutMs,
    unreachableAfterFailures: f.unreachableAfterFailures,
    latencySamples: f.latencySamples,
    announceTtlSeconds: f.announceTtlSeconds,
    hub: hubOf(node),
    forwarding: forwardsRelayed(node),
    ...(f.electionHoldMs === null ? {} : { electionHoldMs: f.electionHoldMs }),
  };
  inputs.set(node, { config, registry, input });
  return input;
}

export function fleetOf(node: MeshNode): FleetService {
  let s = services.get(node);
  if (s === undefined) {
    s = createFleetService({
      self: node.self,
      store: node.store,
      peers: node.registry,
      registryOrder: () => registryOrder(node),
      transport: node.transport,
      circuits: node.delivery.breaker,
      clock: node.clock,
      events: node.events,
      audit: node.audit,
      logger: node.logger,
      outbound: createNodeFleetOutbound(node),
      options: () => optionsOf(node),
    });
    services.set(node, s);
  }
  return s;
}
