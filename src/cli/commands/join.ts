import { layoutOf, resolveAgentName, resolveHome } from '../../node/home.ts';
import { readIdentity } from '../../node/key-admin.ts';
import { openNode } from '../../node/mesh-node.ts';
import { loadNodeConfig } from '../../node/node-config.ts';
import { probePeer, type ProbeResult } from '../../node/probe.ts';
import { newHookToken } from '../../node/init-home.ts';
import { peerFromEntry, readRegistryFile, type RegistryEntry } from '../../node/registry.ts';
import { updateRegistry } from '../../node/registry-edit.ts';
import { a2aPeerEntry, cardUrlOf } from '../../node/a2a/a2a-join.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { assertAgentName, isBashCompatibleName } from '../../protocol/names.ts';
import { flag, str, type CliContext, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

function homeAndSelf(ctx: CliContext): { file: string; self: string; home: string; configFile: string } {
  const layout = layoutOf(resolveHome(ctx.home, ctx.env));
  const self = resolveAgentName(layout, ctx.env);
  if (self === null) throw new MeshError(MeshErrorCode.NotInitialized, `no MESH node at ${layout.home}: run \`mesh init --agent <name>\``);
  return { file: layout.registryFile, self, home: layout.home, configFile: layout.configFile };
}

/** The command that adds THIS node on a peer of the same NATS fleet: no address, no token, its Ed25519 key. */
function natsReverseCommand(self: string, home: string): string | null {
  const id = readIdentity(home);
  return id === null ? null : `mesh join ${self} --nats --public-key ${id.publicKey}`;
}

/** A NATS peer answers health requests on the bus when its daemon runs; probed through this node's NATS link. */
async function probeNatsPeer(ctx: CliContext, baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const node = openNode({ home: ctx.home, env: ctx.env });
  try {
    const r = await node.transport.probe(baseUrl, timeoutMs);
    return { ok: r.status !== null && r.status >= 200 && r.status < 300, status: r.status, error: r.networkError, elapsedMs: Math.round(r.elapsedMs) };
  } finally {
    await node.close();
  }
}

function reverseCommand(self: string, e: RegistryEntry): string {
  const parts = ['mesh join', self];
  if (typeof e['url'] === 'string') parts.push('--url', e['url']);
  else parts.push(String(e['ip'] ?? '127.0.0.1'), String(e['port'] ?? 18790));
  if (typeof e['token'] === 'string') parts.push(e['token']);
  return parts.map(shellQuote).join(' ').replace(/^'mesh join'/, 'mesh join');
}

export const command: CommandSpec = {
  name: 'join',
  summary: 'add or update a peer in the registry; --show prints how peers add this node',
  usage: [
    'join <name> <ip> [port] [token] [--signing hmac|ed25519|none] [--encryption cbc|gcm] [--public-key <b64>] [--role <r>]',
    'join <name> --url <http://host:port> [token] [...]',
    'join <name> --nats --public-key <b64> | --signing hmac   (a peer on this node\'s NATS fleet)',
    'join <name> --a2a <agent card URL> [token]',
    'join --show',
  ],
  description:
    'Writes agents.<name> into config/agent-registry.json (port defaults to 18789, the OpenClaw gateway port;\n' +
    'use the peer\'s `mesh serve` port, 18790 by default, when it runs MESH-TS as a sidecar). The token is the\n' +
    'bearer token of THAT peer\'s hooks. Afterwards the peer is probed with GET /health, which never wakes its\n' +
    'agent (bash MESH posted a "ping" prompt). --show prints this node\'s address and token (a secret) as the\n' +
    'join command to run on the other node.\n' +
    '--nats adds a peer reached over this node\'s NATS fleet (`mesh nats setup`; docs/nats.md) instead: no\n' +
    'address or token, and it must sign (--public-key sets Ed25519, or --signing hmac with a shared key).\n' +
    'Given an address again without --nats, the peer goes back to HTTP.',
  options: {
    show: { type: 'boolean', description: 'print the command that adds THIS node on a peer (includes the token)' },
    url: { type: 'string', placeholder: 'url', description: 'base URL of the peer instead of <ip> [port]' },
    a2a: { type: 'string', placeholder: 'card-url', description: 'an A2A 1.0 agent: read its Agent Card, reach it over A2A JSON-RPC (token: its bearer token)' },
    signing: { type: 'string', placeholder: 'scheme', description: 'hmac, ed25519 or none (default: keep, or none)' },
    encryption: { type: 'string', placeholder: 'scheme', description: 'cbc (bash peers, default) or gcm (MESH-TS peers)' },
    'public-key': { type: 'string', placeholder: 'b64', description: 'the peer\'s Ed25519 public key (from its `mesh init`)' },
    role: { type: 'string', placeholder: 'role', description: 'peer (default), hub, relay, sre…' },
    'no-probe': { type: 'boolean', description: 'do not check that the peer answers' },
    nats: { type: 'boolean', description: 'the peer is reached over this node\'s NATS fleet, not HTTP' },
  },
  examples: [
    'mesh join beta 10.0.0.12 18790 mesh-0123abcd…', 'mesh join beta --url http://127.0.0.1:18791 TOKEN --signing hmac',
    'mesh join gamma --nats --public-key MCow…=', 'mesh join helper --a2a http://127.0.0.1:18789 A2A_TOKEN', 'mesh join --show',
  ],
  async run(ctx, args) {
    const { out } = ctx;
    const { file, self, home, configFile } = homeAndSelf(ctx);
    const reg = readRegistryFile(file);
    const natsFleet = loadNodeConfig(configFile, ctx.env).nats?.fleet ?? null;
    if (flag(args, 'show')) {
      const e = reg.agents[self];
      if (!e) throw new MeshError(MeshErrorCode.ConfigInvalid, `the registry has no entry for this node ("${self}"): run mesh init again`);
      const cmd = reverseCommand(self, e);
      const natsCmd = natsFleet === null ? null : natsReverseCommand(self, home);
      const publicKey = readIdentity(home)?.publicKey ?? null;
      if (out.json) out.data({ agent: self, ip: e['ip'] ?? null, port: e['port'] ?? null, url: e['url'] ?? null, token: e['token'] ?? null, publicKey, command: cmd, natsFleet, natsCommand: natsCmd });
      else {
        out.line(`This node: ${self}  (${typeof e['url'] === 'string' ? e['url'] : `${String(e['ip'])}:${String(e['port'])}`})`);
        out.line('Run this on the peer (it contains this node\'s hook token — treat it as a secret):');
        out.line(`  ${cmd}`);
        if (natsCmd !== null) {
          out.line(`Or, on a peer of the NATS fleet "${natsFleet ?? ''}" (no secret in it):`);
          out.line(`  ${natsCmd}`);
        }
      }
      return ExitCode.Ok;
    }
    const [nameArg, ip, portArg, tokenArg] = args.positionals;
    const name = assertAgentName(nameArg, 'peer name');
    if (name === self) throw new MeshError(MeshErrorCode.InvalidArgument, `"${name}" is this node; use mesh init to change its own entry`);
    const a2a = str(args, 'a2a');
    if (a2a !== undefined) {
      const cardUrl = cardUrlOf(a2a);
      const bearer = ip ?? null; // with --a2a the first extra positional is the token
      const prevEntry = readRegistryFile(file).agents[name] ?? {};
      const { entry, cardName } = await a2aPeerEntry(cardUrl, bearer, prevEntry);
      entry['role'] = str(args, 'role') ?? entry['role'] ?? 'peer';
      const checked = peerFromEntry(name, entry);
      if (typeof checked === 'string') throw new MeshError(MeshErrorCode.InvalidArgument, checked);
      updateRegistry(file, (r) => {
        r.agents[name] = entry;
      });
      if (out.json) out.data({ ok: true, agent: name, transport: 'a2a', endpoint: checked.baseUrl, card: cardUrl, cardName, token: checked.token !== null });
      else {
        out.line(`${out.style('green', '✓')} ${Object.keys(prevEntry).length > 0 ? 'updated' : 'added'} ${name} → A2A agent "${cardName}" at ${checked.baseUrl}`);
        if (checked.token === null) out.warn('no token given: most A2A agents need one (mesh join <name> --a2a <url> <token>)');
      }
      return ExitCode.Ok;
    }
    const url = str(args, 'url');
    const nats = flag(args, 'nats');
    if (nats && (url !== undefined || ip !== undefined)) {
      throw new MeshError(MeshErrorCode.InvalidArgument, 'a --nats peer has no address or token here: mesh join <name> --nats --public-key <b64> (the bus and this node\'s `nats` config say where it is)');
    }
    if (!nats && url === undefined && !ip) throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh join <name> <ip> [port] [token]  (or --url, or --nats)');
    const token = url !== undefined ? (ip ?? tokenArg) : tokenArg; // with --url the first extra positional is the token
    // Read, change and write under the registry lock, so a concurrent command's change is kept.
    const { prev, peer } = updateRegistry(file, (reg) => {
      const prev = reg.agents[name] ?? {};
      const entry: RegistryEntry = { ...prev };
      if (nats) {
        // Its HTTP address, if it had one, is kept: `mesh join <name> <ip> …` switches it back.
        entry['transport'] = 'nats';
      } else if (url !== undefined) {
        entry['url'] = url;
        delete entry['ip'];
        delete entry['port'];
      } else {
        entry['ip'] = ip;
        entry['port'] = portArg === undefined ? (prev['port'] ?? 18789) : Number(portArg);
        delete entry['url'];
      }
      if (!nats) delete entry['transport'];
      entry['token'] = token ?? (typeof prev['token'] === 'string' ? prev['token'] : newHookToken());
      entry['role'] = str(args, 'role') ?? prev['role'] ?? 'peer';
      entry['hookPath'] = `/hooks/${self}`;
      const signing = str(args, 'signing');
      if (signing !== undefined) entry['signing'] = signing === 'hmac' ? true : signing === 'none' ? false : signing;
      // A NATS peer must sign: its public key says how, unless the entry already says otherwise.
      else if (nats && str(args, 'public-key') !== undefined && (entry['signing'] === undefined || entry['signing'] === false)) entry['signing'] = 'ed25519';
      else entry['signing'] ??= false;
      const enc = str(args, 'encryption');
      if (enc !== undefined) entry['encryption'] = enc === 'cbc' ? 'aes-256-cbc' : enc === 'gcm' ? 'aes-256-gcm' : enc;
      const pk = str(args, 'public-key');
      if (pk !== undefined) entry['publicKey'] = pk;
      // Refused before anything is written: a bad address must fail now, not be retried for ever.
      const peer = peerFromEntry(name, entry);
      if (typeof peer === 'string') throw new MeshError(MeshErrorCode.InvalidArgument, peer);
      reg.agents[name] = entry;
      return { prev, peer };
    });

    const warnings: string[] = [];
    if (!isBashCompatibleName(name)) warnings.push(`"${name}" contains '-': fine between MESH-TS nodes, but bash MESH v3.2 nodes cannot address it`);
    if (!nats && token === undefined && prev['token'] === undefined) warnings.push('no token given: generated a placeholder; set the peer\'s real hook token before sending');
    if (nats && natsFleet === null) warnings.push('this node has no NATS configuration yet: messages to this peer wait in the outbox until `mesh nats setup --server <url>` (and a restart of mesh serve)');
    let probe: ProbeResult | null = null;
    if (!flag(args, 'no-probe') && (!nats || natsFleet !== null)) probe = nats ? await probeNatsPeer(ctx, peer.baseUrl, 3_000) : await probePeer(peer.baseUrl, 3_000);
    if (out.json) {
      out.data({ ok: true, agent: name, baseUrl: peer.baseUrl, transport: peer.transport ?? 'http', signing: peer.signing, encryption: peer.encryption, updated: Object.keys(prev).length > 0, probe, warnings });
      return ExitCode.Ok;
    }
    for (const w of warnings) out.warn(w);
    out.line(`${out.style('green', '✓')} ${Object.keys(prev).length > 0 ? 'updated' : 'added'} ${name} → ${peer.baseUrl} (signing: ${peer.signing}, encryption: ${peer.encryption})`);
    if (probe) {
      const how = nats ? 'its node answered on the bus' : `GET /health answered ${String(probe.status)}`;
      out.line(probe.ok ? `  reachable: ${how} in ${probe.elapsedMs} ms`
        : `  ${out.style('yellow', 'not reachable yet')}: ${probe.error ?? `HTTP ${String(probe.status)}`} (messages will queue and retry)`);
    }
    out.line(`  on ${name}, add this node with: mesh join --show   (run here, then paste there)`);
    return ExitCode.Ok;
  },
};
