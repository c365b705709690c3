import { layoutOf, resolveAgentName, resolveHome, type HomeLayout } from '../../node/home.ts';
import { natsStatus, writeNatsConfig, type NatsStatus } from '../../node/nats-admin.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, list, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';

function homeOf(ctx: CliContext): HomeLayout {
  const layout = layoutOf(resolveHome(ctx.home, ctx.env));
  if (resolveAgentName(layout, ctx.env) === null) {
    throw new MeshError(MeshErrorCode.NotInitialized, `no MESH node at ${layout.home}: run \`mesh init --agent <name>\``);
  }
  return layout;
}

/** `--server a,b --server c` → [a, b, c]. */
export function serverList(args: ParsedArgs): string[] {
  return list(args, 'server').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

function statusLines(s: NatsStatus, self: string): string[] {
  if (!s.configured) return ['NATS is not configured: mesh nats setup --server nats://<host>:4222'];
  const lines = [`NATS fleet "${s.fleet ?? ''}" on ${s.servers.join(', ')}`];
  if (!s.connected) {
    lines.push(`  not connected: ${s.error ?? 'unknown'}${s.detail === null ? '' : ` (${s.detail})`}`);
    return lines;
  }
  if (s.server) lines.push(`  connected to ${s.server.name} (nats-server ${s.server.version}${s.server.cluster ? `, cluster ${s.server.cluster}` : ''})`);
  for (const st of s.streams) {
    lines.push(`  stream ${st.name}: ${st.messages} messages, ${st.bytes} bytes, ${st.replicas} replica${st.replicas === 1 ? '' : 's'}${st.servers.length > 0 ? ` (leader ${st.servers[0] ?? '?'})` : ''}`);
  }
  if (s.streams.length === 0) lines.push('  streams: not created yet (the first mesh serve with NATS creates them)');
  lines.push(s.consumer === null
    ? `  consumer of ${self}: not created yet (mesh serve creates it)`
    : `  consumer ${s.consumer.name}: ${s.consumer.pending} waiting, ${s.consumer.ackPending} being stored, ${s.consumer.redelivered} redelivered`);
  for (const p of s.peers) lines.push(`  peer ${p.name}: ${p.reachable ? `up (${p.latencyMs ?? '?'} ms)` : `no answer (${p.detail ?? 'unknown'})`}`);
  if (s.error !== null) lines.push(`  problem: ${s.error}`);
  return lines;
}

export const command: CommandSpec = {
  name: 'nats',
  summary: 'MESH over NATS JetStream: setup --server <url> … | status',
  usage: [
    'nats setup --server <nats://host:port>[,…] [--fleet <name>] [--creds <file> | --nkey <seed-file> | --token-file <file>]',
    '           [--tls-ca <file>] [--tls-cert <file> --tls-key <file>] [--replicas <n>] [--no-receive]',
    'nats status',
  ],
  description:
    'Joins this node to a NATS fleet (docs/nats.md): `setup` writes the `nats` section of config/mesh.json\n' +
    '(restart `mesh serve` to apply it). Peers reached over the bus are added with `mesh join <name> --nats`;\n' +
    'HTTP peers keep working beside them. Secrets stay in files: a credentials file (JWT + NKey), an NKey\n' +
    'seed file or a token file; relative paths are relative to the home folder. Every node of a fleet uses\n' +
    'the same --fleet (subjects mesh.<fleet>.<agent>.inbox). `status` connects once and shows the server,\n' +
    'the fleet\'s streams, this node\'s consumer (waiting, in progress, redelivered) and which NATS peers answer.',
  options: {
    server: { type: 'string', multiple: true, placeholder: 'url', description: 'a NATS server URL (repeat or comma-separate for a cluster)' },
    fleet: { type: 'string', placeholder: 'name', description: 'fleet name, the same on every node (default: mesh)' },
    creds: { type: 'string', placeholder: 'file', description: 'NATS credentials file (JWT and NKey seed)' },
    nkey: { type: 'string', placeholder: 'file', description: 'file holding an NKey seed (SU…)' },
    'token-file': { type: 'string', placeholder: 'file', description: 'file holding a NATS auth token' },
    'tls-ca': { type: 'string', placeholder: 'file', description: 'CA certificate that signed the servers\' certificates' },
    'tls-cert': { type: 'string', placeholder: 'file', description: 'client certificate (with --tls-key)' },
    'tls-key': { type: 'string', placeholder: 'file', description: 'client certificate key' },
    replicas: { type: 'string', placeholder: 'n', description: 'stream replicas when this node creates the streams (3 on a 3-server cluster)' },
    'no-receive': { type: 'boolean', description: 'send over NATS, but do not consume this node\'s inbox subject' },
  },
  examples: [
    'mesh nats setup --server nats://127.0.0.1:4222',
    'mesh nats setup --server nats://n1:4222,nats://n2:4222,nats://n3:4222 --creds ~/.mesh/config/nats.creds --replicas 3',
    'mesh nats status',
  ],
  async run(ctx, args) {
    const { sub, rest } = subcommand('nats', args.positionals, ['setup', 'status'] as const, 'status');
    noMoreArgs(`nats ${sub}`, rest);
    const { out } = ctx;
    if (sub === 'setup') {
      const layout = homeOf(ctx);
      const servers = serverList(args);
      if (servers.length === 0) throw new MeshError(MeshErrorCode.InvalidArgument, 'say where the NATS servers are: mesh nats setup --server nats://<host>:4222');
      const replicasText = str(args, 'replicas');
      const replicas = replicasText === undefined ? undefined : Number(replicasText);
      const r = writeNatsConfig(layout.home, layout.configFile, {
        servers, fleet: str(args, 'fleet'), credsFile: str(args, 'creds'), nkeySeedFile: str(args, 'nkey'), tokenFile: str(args, 'token-file'),
        tlsCaFile: str(args, 'tls-ca'), tlsCertFile: str(args, 'tls-cert'), tlsKeyFile: str(args, 'tls-key'),
        replicas, receive: flag(args, 'no-receive') ? false : undefined,
      });
      if (out.json) out.data({ ok: true, file: r.file, nats: r.nats, missingFiles: r.missingFiles, looseFiles: r.looseFiles });
      else {
        for (const f of r.missingFiles) out.warn(`${f} does not exist (yet): the connection will fail until it does`);
        for (const f of r.looseFiles) out.warn(`${f} is open to group or others: the connection refuses it until you run chmod 600 ${f}`);
        out.line(`${out.style('green', '✓')} NATS fleet "${r.nats.fleet}" on ${r.nats.servers.join(', ')} written to ${r.file}`);
        out.line('  restart mesh serve to connect; add peers on the bus with: mesh join <name> --nats --public-key <their key>');
        out.line('  check it with: mesh nats status');
      }
      return ExitCode.Ok;
    }
    return withNode(ctx, async (node) => {
      const s = await natsStatus(node, node.config.fleet.probeTimeoutMs);
      if (out.json) out.data({ ok: s.configured && s.connected, ...s });
      else for (const l of statusLines(s, node.self)) out.line(l);
      return s.configured && s.connected ? ExitCode.Ok : ExitCode.Error;
    });
  },
};
