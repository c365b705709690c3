import { readFileSync } from 'node:fs';
import { layoutOf, resolveAgentName, resolveHome } from '../../node/home.ts';
import { generateSigningKey, importSigningKey, keyStatus, readSecretFile, signingKeyPath } from '../../node/key-admin.ts';
import { RegistryPeerDirectory, readRegistryFile, writeRegistryFile } from '../../node/registry.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { assertAgentName } from '../../protocol/names.ts';
import { flag, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';

function nodeInfo(ctx: CliContext): { home: string; self: string; registry: RegistryPeerDirectory } {
  const layout = layoutOf(resolveHome(ctx.home, ctx.env));
  const self = resolveAgentName(layout, ctx.env);
  if (self === null) throw new MeshError(MeshErrorCode.NotInitialized, `no MESH node at ${layout.home}: run \`mesh init --agent <name>\``);
  return { home: layout.home, self, registry: RegistryPeerDirectory.load(self, layout.registryFile) };
}

/** Sets agents.<peer>.signing = "hmac" (true in bash terms) in the registry. */
function enableSigning(home: string, peer: string): void {
  const file = layoutOf(home).registryFile;
  const reg = readRegistryFile(file);
  const entry = reg.agents[peer];
  if (entry === undefined) throw new MeshError(MeshErrorCode.UnknownAgent, `"${peer}" is not in the registry; add it with \`mesh join\` first`);
  entry['signing'] = true;
  writeRegistryFile(file, reg);
}

async function readStdin(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function status(ctx: CliContext): number {
  const { home, self, registry } = nodeInfo(ctx);
  const peers = registry.list();
  const report = keyStatus(home, peers.map((p) => p.name));
  const rows = peers.map((p, i) => {
    const k = report.peers[i];
    const hasKey = k?.signing?.exists === true && (k.signing.format === 'hex64' || k.signing.format === 'text');
    const wants = p.signing === 'hmac';
    const state = p.signing === 'ed25519' ? (p.publicKey ? 'ready (ed25519)' : 'missing public key')
      : wants && hasKey ? 'ready'
      : wants ? 'MISSING KEY'
      : hasKey ? 'key exists, signing disabled'
      : 'not configured';
    return { agent: p.name, signing: p.signing, key: hasKey ? 'yes' : 'no', insecureMode: hasKey && k?.signing?.privateMode === false, status: state };
  });
  const { out } = ctx;
  if (out.json) {
    out.data({ self, identity: { publicKey: report.identity.publicKey, exists: report.identity.exists }, peers: rows });
    return ExitCode.Ok;
  }
  out.line(`Signing keys of "${self}" (${home}/config/signing-keys)`);
  if (rows.length === 0) {
    out.line('  no peers in the registry yet: mesh join <name> <ip> [port] [token]');
  } else {
    out.table(['AGENT', 'SIGNING', 'KEY', 'STATUS'], rows.map((r) => [r.agent, r.signing, r.key, r.status + (r.insecureMode ? ' (file mode not 600!)' : '')]));
  }
  out.line(`Identity (Ed25519): ${report.identity.exists ? report.identity.publicKey ?? 'unreadable' : 'missing — run mesh init'}`);
  return ExitCode.Ok;
}

function generate(ctx: CliContext, args: ParsedArgs, peers: string[], self: string, home: string): number {
  const { out } = ctx;
  const results: { peer: string; path: string; replaced: boolean; error?: string }[] = [];
  for (const peer of peers) {
    try {
      const r = generateSigningKey(home, peer, { force: flag(args, 'force') });
      if (flag(args, 'enable')) enableSigning(home, peer);
      results.push({ peer, ...r });
    } catch (e) {
      if ((e as MeshError).code === MeshErrorCode.AlreadyExists) {
        results.push({ peer, path: signingKeyPath(home, peer), replaced: false, error: 'exists (use --force to replace)' });
      } else throw e;
    }
  }
  if (out.json) {
    out.data({ ok: results.every((r) => !r.error), keys: results });
  } else {
    for (const r of results) {
      if (r.error) out.line(`${out.style('yellow', '○')} ${r.peer}: key ${r.error}`);
      else {
        out.line(`${out.style('green', '✓')} ${r.peer}: ${r.replaced ? 'replaced' : 'created'} ${r.path}`);
        out.line(`    share it with ${r.peer}: on that node run  mesh keygen --import ${self} < key-file`);
        out.line(`    (print it here with: mesh keygen --show ${r.peer})`);
      }
    }
    if (!flag(args, 'enable')) out.line(`Turn signing on for a peer with: mesh keygen <peer> --enable --force, or set "signing": true in the registry.`);
  }
  return results.some((r) => r.error) && peers.length === 1 ? ExitCode.Error : ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'keygen',
  summary: 'HMAC signing keys shared with peers (bash mesh-keygen compatible layout)',
  usage: ['keygen <peer> [--force] [--enable]', 'keygen --all [--force]', 'keygen --status', 'keygen --show <peer>', 'keygen --import <peer> [--file <path>]'],
  description:
    'A signing key is 64 hex characters stored at config/signing-keys/<peer>.key (mode 600). Both nodes hold\n' +
    'the same bytes, each under the OTHER node\'s name: on alpha the key for beta is signing-keys/beta.key,\n' +
    'on beta the same key is signing-keys/alpha.key. Keys are never printed unless you ask with --show.',
  options: {
    all: { type: 'boolean', description: 'create keys for every peer in the registry' },
    status: { type: 'boolean', description: 'show which peers have keys and whether signing is on' },
    show: { type: 'string', placeholder: 'peer', description: 'print the key shared with <peer> (a secret!)' },
    import: { type: 'string', placeholder: 'peer', description: 'store a key received from <peer> (read from --file or stdin)' },
    file: { type: 'string', placeholder: 'path', description: 'with --import: read the key from this file' },
    force: { type: 'boolean', description: 'replace an existing key' },
    enable: { type: 'boolean', description: 'also set "signing": true for the peer in the registry (with <peer> or --import)' },
  },
  examples: ['mesh keygen beta --enable', 'mesh keygen --status', 'mesh keygen --show beta | ssh beta mesh keygen --import alpha'],
  async run(ctx, args) {
    if (flag(args, 'status')) return status(ctx);
    const { home, self, registry } = nodeInfo(ctx);
    const show = str(args, 'show');
    if (show !== undefined) {
      const peer = assertAgentName(show, 'peer name');
      const text = readSecretFile(signingKeyPath(home, peer));
      if (text === null) throw new MeshError(MeshErrorCode.KeyMissing, `no signing key for "${peer}": create one with \`mesh keygen ${peer}\``);
      if (ctx.out.json) ctx.out.data({ peer, key: text.trim() });
      else ctx.out.line(text.trim());
      return ExitCode.Ok;
    }
    const imp = str(args, 'import');
    if (imp !== undefined) {
      const peer = assertAgentName(imp, 'peer name');
      const file = str(args, 'file');
      const keyText = file ? readFileSync(file, 'utf8') : await readStdin(ctx);
      const r = importSigningKey(home, peer, keyText.trim(), { force: flag(args, 'force') });
      if (flag(args, 'enable')) enableSigning(home, peer);
      if (ctx.out.json) ctx.out.data({ ok: true, peer, ...r });
      else ctx.out.line(`${ctx.out.style('green', '✓')} stored the key shared with ${peer} at ${r.path}`);
      return ExitCode.Ok;
    }
    if (flag(args, 'all')) {
      const peers = registry.list().map((p) => p.name);
      if (peers.length === 0) throw new MeshError(MeshErrorCode.UnknownAgent, 'the registry has no peers yet: mesh join <name> <ip> [port] [token]');
      return generate(ctx, args, peers, self, home);
    }
    const peer = args.positionals[0];
    if (!peer) throw new MeshError(MeshErrorCode.InvalidArgument, 'say which peer: mesh keygen <peer> | --all | --status | --show <peer> | --import <peer>');
    assertAgentName(peer, 'peer name');
    if (registry.get(peer) === null) ctx.out.warn(`"${peer}" is not in the registry yet (mesh join ${peer} <ip> …)`);
    return generate(ctx, args, [peer], self, home);
  },
};
