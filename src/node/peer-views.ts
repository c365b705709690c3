/**
 * The peers of a node as agents and tools may see them (`mesh peers`, the SDK's `peers()`, the MCP
 * `list_peers` tool): names, roles, addresses, schemes and groups, read from the registry as it is
 * now. Deliberately no token or key.
 */
import type { MeshNode } from './mesh-node.ts';

export interface PeerView {
  name: string;
  role: string;
  address: string;
  signing: string;
  encryption: string;
  groups: string[];
}

export interface PeersView {
  self: { name: string; address: string | null };
  peers: PeerView[];
  groups: Record<string, string[]>;
}

export function peerViews(node: MeshNode): PeersView {
  const groups: Record<string, string[]> = {};
  for (const g of node.registry.groupNames()) groups[g] = node.registry.group(g) ?? [];
  const peers = node.registry.list().map((p) => ({
    name: p.name,
    role: p.role,
    address: p.baseUrl,
    signing: p.signing,
    encryption: p.encryption,
    groups: Object.keys(groups).filter((g) => groups[g]?.includes(p.name)),
  }));
  return { self: { name: node.self, address: node.registry.get(node.self)?.baseUrl ?? null }, peers, groups };
}
