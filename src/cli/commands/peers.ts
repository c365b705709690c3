import { peerViews } from '../../node/peer-views.ts';
import type { CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';

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
