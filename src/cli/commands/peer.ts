import { layoutOf, resolveAgentName, resolveHome } from '../../node/home.ts';
import { removePeer } from '../../node/registry-admin.ts';
import { RegistryPeerDirectory } from '../../node/registry.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { assertAgentName } from '../../protocol/names.ts';
import type { PeerConfig } from '../../ports/peers.ts';
import type { CliContext, CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';

function nodeFiles(ctx: CliContext): { registryFile: string; self: string } {
  const layout = layoutOf(resolveHome(ctx.home, ctx.env));
  const self = resolveAgentName(layout, ctx.env);
  if (self === null) throw new MeshError(MeshErrorCode.NotInitialized, `no MESH node at ${layout.home}: run \`mesh init --agent <name>\``);
  return { registryFile: layout.registryFile, self };
}

/** What may be shown of a peer: never its token. */
function view(p: PeerConfig): Record<string, unknown> {
  return {
    name: p.name,
    role: p.role,
    url: p.baseUrl,
    signing: p.signing,
    encryption: p.encryption,
    publicKey: p.publicKey,
    hasToken: p.token !== null,
  };
}

function list(ctx: CliContext): number {
  const { registryFile, self } = nodeFiles(ctx);
  const reg = RegistryPeerDirectory.load(self, registryFile);
  const peers = reg.list();
  const { out } = ctx;
  if (out.json) {
    out.data({ self, peers: peers.map(view), problems: reg.problems });
    return ExitCode.Ok;
  }
  if (peers.length === 0) out.line('No peers yet: mesh join <name> <ip> [port] [token]');
  else out.table(['NAME', 'ROLE', 'URL', 'SIGNING', 'ENCRYPTION'], peers.map((p) => [p.name, p.role, p.baseUrl, p.signing, p.encryption]));
  for (const problem of reg.problems) out.warn(`skipped: ${problem}`);
  return ExitCode.Ok;
}

function show(ctx: CliContext, name: string): number {
  const { registryFile, self } = nodeFiles(ctx);
  const peer = RegistryPeerDirectory.load(self, registryFile).get(assertAgentName(name, 'peer name'));
  if (peer === null || peer.name === self) throw new MeshError(MeshErrorCode.UnknownAgent, `"${name}" is not in the registry`);
  const v = view(peer);
  if (ctx.out.json) ctx.out.data(v);
  else for (const [k, value] of Object.entries(v)) ctx.out.line(`${`${k}:`.padEnd(12)} ${value === null ? '-' : String(value)}`);
  return ExitCode.Ok;
}

function remove(ctx: CliContext, name: string): number {
  const { registryFile, self } = nodeFiles(ctx);
  const r = removePeer(registryFile, self, name);
  const { out } = ctx;
  if (out.json) {
    out.data({ ok: true, removed: r.peer, groups: r.groups });
    return ExitCode.Ok;
  }
  out.line(`${out.style('green', '✓')} removed ${r.peer} from the registry${r.groups.length > 0 ? ` and from groups ${r.groups.join(', ')}` : ''}`);
  out.line('  A running mesh serve refuses its messages from now on; messages still queued to it become dead');
  out.line(`  letters (unknown_peer), replayed if you join it again. Its key files were left in place.`);
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'peer',
  summary: 'peers in the registry: list | show <name> | remove <name>',
  usage: ['peer [list]', 'peer show <name>', 'peer remove <name>'],
  description:
    'Peers are added and updated with `mesh join`. Every change is written atomically under a lock and a\n' +
    'running `mesh serve` applies it to the next message, without a restart. Tokens are never shown here\n' +
    '(`mesh join --show` prints this node\'s own).\n\n' +
    '  list    name, role, URL, signing and encryption of every peer; entries the registry cannot use are reported\n' +
    '  show    one peer (with its Ed25519 public key)\n' +
    '  remove  take a peer out of the registry and of every group; its messages are refused from then on',
  options: {},
  examples: ['mesh peer', 'mesh peer show beta --json', 'mesh peer remove gamma'],
  async run(ctx, args) {
    const { sub, rest } = subcommand('peer', args.positionals, ['list', 'show', 'remove'] as const, 'list');
    if (sub === 'list') {
      noMoreArgs('peer list', rest);
      return list(ctx);
    }
    const [name, ...extra] = rest;
    if (name === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, `missing name: mesh peer ${sub} <name> (names: mesh peer list)`);
    noMoreArgs(`peer ${sub}`, extra);
    return sub === 'show' ? show(ctx, name) : remove(ctx, name);
  },
};
