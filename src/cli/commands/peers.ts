import type { MeshNode } from '../../node/mesh-node.ts';
import type { CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';

/** One peer as `mesh peers` shows it. Deliberately no token: the listing is for agents and logs. */
export interface PeerView {
  name: string;
  role: string;
  address: string;
  signing: string;
  encryption: string;
  groups: string[];
}

export function peerViews(node: MeshNode): { self: { name: string; address: string | null }; peers: PeerView[]; groups: Record<string, string[]> } {
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

export const command: CommandSpec = {
  name: 'peers',
  summary: 'list the agents this node can reach: names, roles, addresses (never tokens)',
  usage: ['peers [--json]'],
  description:
    'Reads the registry as it is now (config/agent-registry.json), so an agent that asks always gets the\n' +
    'current list: name, role, address, how messages to it are signed and encrypted, and its @groups.\n' +
    'Tokens and keys are never printed. Entries the registry cannot use are listed as warnings.',
  options: {},
  examples: ['mesh peers', 'mesh peers --json'],
  async run(ctx) {
    return withNode(ctx, (node) => {
      const view = peerViews(node);
      const problems = [...node.registry.problems];
      const { out } = ctx;
      if (out.json) {
        out.data({ ...view, problems });
        return ExitCode.Ok;
      }
      for (const p of problems) out.warn(`registry: ${p}`);
      out.line(`This node: ${view.self.name}${view.self.address ? `  ${view.self.address}` : ''}`);
      if (view.peers.length === 0) {
        out.line('No peers yet: add one with `mesh join <name> <ip> [port] [token]` (`mesh join --show` on the peer prints it).');
        return ExitCode.Ok;
      }
      out.table(['NAME', 'ROLE', 'ADDRESS', 'SIGNING', 'ENCRYPTION', 'GROUPS'],
        view.peers.map((p) => [p.name, p.role, p.address, p.signing, p.encryption, p.groups.map((g) => `@${g}`).join(' ')]));
      return ExitCode.Ok;
    });
  },
};
