import { removePeer } from '../../node/registry-admin.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { assertAgentName } from '../../protocol/names.ts';
import type { CliContext, CommandSpec, ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';
import { peerViews } from '../../node/peer-views.ts';
import { command as peers } from './peers.ts';

function show(ctx: CliContext, name: string): Promise<number> {
  return withNode(ctx, (node) => {
    const wanted = assertAgentName(name, 'peer name');
    const view = peerViews(node).peers.find((p) => p.name === wanted);
    if (view === undefined) throw new MeshError(MeshErrorCode.UnknownAgent, `"${wanted}" is not in the registry (names: mesh peers)`);
    const full = { ...view, publicKey: node.registry.get(wanted)?.publicKey ?? null };
    if (ctx.out.json) ctx.out.data(full);
    else for (const [k, v] of Object.entries(full)) ctx.out.line(`${`${k}:`.padEnd(12)} ${Array.isArray(v) ? v.join(', ') || '-' : v ?? '-'}`);
    return ExitCode.Ok;
  });
}

function remove(ctx: CliContext, name: string): Promise<number> {
  return withNode(ctx, (node) => {
    const r = removePeer(node.layout.registryFile, node.self, name);
    const { out } = ctx;
    if (out.json) {
      out.data({ ok: true, removed: r.peer, groups: r.groups });
      return ExitCode.Ok;
    }
    out.line(`${out.style('green', '✓')} removed ${r.peer} from the registry${r.groups.length > 0 ? ` and from groups ${r.groups.join(', ')}` : ''}`);
    out.line('  A running mesh serve refuses its messages from now on; messages still queued to it become dead');
    out.line('  letters (unknown_peer), replayed if you join it again. Its key files were left in place.');
    return ExitCode.Ok;
  });
}

export const command: CommandSpec = {
  name: 'peer',
  summary: 'peers in the registry: list | show <name> | remove <name>',
  usage: ['peer [list]', 'peer show <name>', 'peer remove <name>'],
  description:
    'Peers are added and updated with `mesh join`. Every change is written atomically under a lock and a\n' +
    'running `mesh serve` applies it to the next message, without a restart. Tokens are never shown here\n' +
    '(`mesh join --show` prints this node\'s own).\n\n' +
    '  list    the same as `mesh peers`: name, role, address, signing, encryption and groups of every peer\n' +
    '  show    one peer, with its Ed25519 public key\n' +
    '  remove  take a peer out of the registry and of every group; its messages are refused from then on',
  options: {},
  examples: ['mesh peer', 'mesh peer show beta --json', 'mesh peer remove gamma'],
  async run(ctx: CliContext, args: ParsedArgs) {
    const { sub, rest } = subcommand('peer', args.positionals, ['list', 'show', 'remove'] as const, 'list');
    if (sub === 'list') {
      noMoreArgs('peer list', rest);
      return peers.run(ctx, { ...args, positionals: [] });
    }
    const [name, ...extra] = rest;
    if (name === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, `missing name: mesh peer ${sub} <name> (names: mesh peers)`);
    noMoreArgs(`peer ${sub}`, extra);
    return sub === 'show' ? show(ctx, name) : remove(ctx, name);
  },
};
