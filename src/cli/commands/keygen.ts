import { readFileSync } from 'node:fs';
import { layoutOf, resolveAgentName, resolveHome } from '../../node/home.ts';
import { generateSigningKey, importSigningKey, keyStatus, readSecretFile, signingKeyPath, stripKeyWhitespace } from '../../node/key-admin.ts';
import { RegistryPeerDirectory } from '../../node/registry.ts';
import { updateRegistry } from '../../node/registry-edit.ts';
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

/** Sets agents.<peer>.signing = true ("hmac") in the registry; a running daemon applies it to the next message. */
function enableSigning(home: string, peer: string): void {
  updateRegistry(layoutOf(home).registryFile, (reg) => {
    const entry = reg.agents[peer];
    if (entry === undefined) throw new MeshError(MeshErrorCode.UnknownAgent, `"${peer}" is not in the registry; add it with \`mesh join\` first`);
    entry['signing'] = true;
  });
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

interface KeyResult {
  peer: string;
  path: string;
  /** created: a new key; replaced: --force overwrote one; kept: a key existed and was left as it is. */
  key: 'created' | 'replaced' | 'kept';
  signingEnabled: boolean;
}

function generate(ctx: CliContext, args: ParsedArgs, peers: string[], self: string, home: string): number {
  const { out } = ctx;
  const enable = flag(args, 'enable');
  const results: KeyResult[] = [];
  for (const peer of peers) {
    let key: KeyResult['key'];
    try {
      key = generateSigningKey(home, peer, { force: flag(args, 'force') }).replaced ? 'replaced' : 'created';
    } catch (e) {
      // An existing key is the one the peer holds too: keep it (replacing it would break signing).
      if ((e as MeshError).code !== MeshErrorCode.AlreadyExists) throw e;
      key = 'kept';
    }
    if (enable) enableSigning(home, peer);
    results.push({ peer, path: signingKeyPath(home, peer), key, signingEnabled: enable });
  }
  if (out.json) {
    out.data({ ok: true, keys: results });
    return ExitCode.Ok;
  }
  for (const r of results) {
    const signing = r.signingEnabled ? '; signing enabled' : '';
    if (r.key === 'kept') {
      out.line(`${out.style('green', '✓')} ${r.peer}: a key already exists, kept ${r.path}${signing}`);
      continue;
    }
    out.line(`${out.style('green', '✓')} ${r.peer}: ${r.key} ${r.path}${signing}`);
    out.line(`    share it with ${r.peer}: on that node run  mesh keygen --import ${self} --enable < key-file`);
    out.line(`    (print it here with: mesh keygen --show ${r.peer})`);
  }
  if (!enable) out.line('Turn signing on for a peer with: mesh keygen <peer> --enable (an existing key is kept).');
  return ExitCode.Ok;
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
    force: { type: 'boolean', description: 'replace an existing key (the peer must import the new one, or signatures fail)' },
    enable: { type: 'boolean', description: 'also set "signing": true for the peer in the registry (an existing key is kept)' },
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
      const path = signingKeyPath(home, peer);
      let key: 'created' | 'replaced' | 'kept';
      try {
        key = importSigningKey(home, peer, keyText.trim(), { force: flag(args, 'force') }).replaced ? 'replaced' : 'created';
      } catch (e) {
        if ((e as MeshError).code !== MeshErrorCode.AlreadyExists) throw e;
        // Importing the key that is already there is a no-op; a different one needs --force.
        if (stripKeyWhitespace(readSecretFile(path) ?? '') !== stripKeyWhitespace(keyText)) {
          throw new MeshError(MeshErrorCode.AlreadyExists, `a different key shared with "${peer}" is already stored at ${path}; it was left unchanged (--force replaces it)`);
        }
        key = 'kept';
      }
      if (flag(args, 'enable')) enableSigning(home, peer);
      if (ctx.out.json) ctx.out.data({ ok: true, peer, path, key, signingEnabled: flag(args, 'enable') });
      else {
        const what = key === 'kept' ? 'already stored' : key === 'replaced' ? 'replaced' : 'stored';
        ctx.out.line(`${ctx.out.style('green', '✓')} ${what} the key shared with ${peer} at ${path}${flag(args, 'enable') ? '; signing enabled' : ''}`);
      }
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
