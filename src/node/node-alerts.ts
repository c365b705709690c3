/**
 * The alert de-duplication service of a node (fleet/), created on first use: wired to the node's
 * store, registry, clock, event bus and audit log, its rules read from config/mesh.json `fleet` per
 * alert (so an edit applies to the next one).
 */
import type { AlertDedupRules } from '../fleet/alert-dedup-deps.ts';
import { createAlertDedupService, type AlertDedupService } from '../fleet/alert-dedup-service.ts';
import type { MeshNode } from './mesh-node.ts';
import type { NodeConfig } from './node-config.ts';

const services = new WeakMap<MeshNode, AlertDedupService>();
const rulesByConfig = new WeakMap<NodeConfig, AlertDedupRules>();

function rulesOf(node: MeshNode): AlertDedupRules {
  const c = node.config;
  let r = rulesByConfig.get(c);
  if (r === undefined) {
    r = { windowMs: c.fleet.dedupWindowMs, escalateAt: c.fleet.dedupEscalateAt, quietResolveMs: c.fleet.incidentQuietResolveMs };
    rulesByConfig.set(c, r);
  }
  return r;
}

export function alertsOf(node: MeshNode): AlertDedupService {
  let s = services.get(node);
  if (s === undefined) {
    s = createAlertDedupService({
      store: node.store,
      peers: node.registry,
      clock: node.clock,
      events: node.events,
      audit: node.audit,
      randomHex: (n) => node.ids.hex(n),
      rules: () => rulesOf(node),
    });
    services.set(node, s);
  }
  return s;
}
