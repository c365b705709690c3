import { initHome } from '../../node/init-home.ts';
import { writeNatsConfig } from '../../node/nats-admin.ts';
import { layoutOf, resolveHome } from '../../node/home.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, str, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';

export const command: CommandSpec = {
  name: 'init',
  summary: 'create a node home: identity, registry, key folders, Ed25519 identity, database',
  usage: ['init --agent <name> [--home <dir>] [--ip <addr>] [--port <n>] [--role <role>] [--force] [--nats <url>[,…] [--nats-fleet <name>]]'],
  description:
    'Creates the home folder ($MESH_HOME or ~/.mesh unless --home is given) in the bash MESH layout plus\n' +
    'config/mesh.json and data/mesh.db. Safe to run again: existing files are kept and missing ones created.\n' +
    'The registry entry for this agent (ip, port, a fresh hook token) tells peers where to reach this node:\n' +
    'the `mesh serve` port (default 18790) for the sidecar topology, or your OpenClaw gateway port (18789)\n' +
    'for the direct topology. `mesh serve` listens on 127.0.0.1 unless --ip names another address: then it\n' +
    'listens on that address (or on all interfaces when this host does not have it, e.g. behind NAT), so\n' +
    'peers can connect, and init prints a warning saying so. --nats joins the node to a NATS fleet as well\n' +
    '(`mesh nats setup` with the same servers; credentials and TLS options are set there; docs/nats.md).',
  options: {
    agent: { type: 'string', placeholder: 'name', description: 'this node\'s agent name (letters, digits, _ and -)' },
    ip: { type: 'string', placeholder: 'addr', description: 'address peers use to reach this node (default 127.0.0.1); mesh serve listens there' },
    port: { type: 'string', placeholder: 'n', description: 'port peers use to reach this node (default 18790, mesh serve)' },
    role: { type: 'string', placeholder: 'role', description: 'registry role: peer (default), hub, relay, sre…' },
    force: { type: 'boolean', description: 'rename a home that belongs to another agent' },
    nats: { type: 'string', placeholder: 'url', description: 'NATS server URL(s), comma-separated: join this node to a NATS fleet too' },
    'nats-fleet': { type: 'string', placeholder: 'name', description: 'with --nats: the fleet name (default: mesh)' },
  },
  examples: ['mesh init --agent alpha', 'mesh init --agent beta --home /tmp/beta --port 18791', 'mesh init --agent gamma --ip 10.0.0.12'],
  async run(ctx, args) {
    const agent = str(args, 'agent') ?? args.positionals[0];
    if (!agent) throw new MeshError(MeshErrorCode.InvalidArgument, 'missing --agent <name> (e.g. mesh init --agent alpha)');
    const portText = str(args, 'port');
    const port = portText === undefined ? undefined : Number(portText);
    if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
      throw new MeshError(MeshErrorCode.InvalidArgument, `--port must be an integer 1-65535, got "${portText}"`);
    }
    const natsServers = (str(args, 'nats') ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    if (str(args, 'nats-fleet') !== undefined && natsServers.length === 0) throw new MeshError(MeshErrorCode.InvalidArgument, '--nats-fleet goes with --nats <url>');
    const res = initHome({ home: resolveHome(ctx.home, ctx.env), agent, ip: str(args, 'ip'), port, role: str(args, 'role'), force: flag(args, 'force') });
    const nats = natsServers.length === 0 ? null : writeNatsConfig(res.home, layoutOf(res.home).configFile, { servers: natsServers, fleet: str(args, 'nats-fleet') }).nats;
    const { out } = ctx;
    if (out.json) {
      out.data({ ok: true, ...res, nats });
      return ExitCode.Ok;
    }
    for (const w of res.warnings) out.warn(w);
    const fresh = res.created.length > 0;
    out.line(`${out.style('green', '✓')} ${fresh ? 'initialized' : 'already initialized'} node "${res.agent}" at ${res.home}`);
    for (const c of res.created) out.line(`  created ${c}`);
    out.line(`  identity key (Ed25519 public): ${res.publicKey}`);
    out.line(`  mesh serve listens on ${res.serve.host.includes(':') ? `[${res.serve.host}]` : res.serve.host}:${res.serve.port}`);
    if (nats !== null) out.line(`  NATS fleet "${nats.fleet}" on ${nats.servers.join(', ')} (subject mesh.${nats.fleet}.${res.agent}.inbox)`);
    out.line('');
    out.line('Next steps:');
    out.line('  mesh join <peer> <ip> [port] [token]   add a peer to the registry');
    if (nats !== null) out.line('  mesh join <peer> --nats --public-key K  add a peer on the NATS fleet (mesh join --show prints yours)');
    out.line('  mesh keygen <peer>                     create an HMAC key to share with it');
    out.line('  mesh serve                             run the daemon (receiver + retries)');
    return ExitCode.Ok;
  },
};
