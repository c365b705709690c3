import { readFileSync } from 'node:fs';
import { layoutOf, resolveAgentName, resolveHome } from '../../node/home.ts';
import {
  bodyScheme, decryptCbc, decryptGcm, encryptCbc, encryptGcm, generateEncryptionKey, importEncryptionKey, keyStatus,
} from '../../node/key-admin.ts';
import { FileKeyStoreFor } from '../../node/key-store.ts';
import { RegistryPeerDirectory } from '../../node/registry.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { assertAgentName } from '../../protocol/names.ts';
import { flag, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';

async function inputText(ctx: CliContext, arg: string | undefined): Promise<string> {
  if (arg !== undefined && arg !== '-') return arg;
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function homeOf(ctx: CliContext): { home: string; self: string | null } {
  const layout = layoutOf(resolveHome(ctx.home, ctx.env));
  return { home: layout.home, self: resolveAgentName(layout, ctx.env) };
}

function keyFor(home: string, name: string): string {
  const key = FileKeyStoreFor(home).encryptionKey(name);
  if (key === null) {
    throw new MeshError(MeshErrorCode.KeyMissing, `no encryption key for "${name}" (config/encryption-keys/${name}.key or fleet.key): run \`mesh crypt keygen ${name}\``);
  }
  return key;
}

/** Scheme for a peer: --scheme wins, then the registry's `encryption`, then bash's aes-256-cbc. */
function schemeFor(ctx: CliContext, args: ParsedArgs, home: string, self: string | null, peer: string): 'aes-256-cbc' | 'aes-256-gcm' {
  const s = str(args, 'scheme');
  if (s === 'cbc' || s === 'aes-256-cbc') return 'aes-256-cbc';
  if (s === 'gcm' || s === 'aes-256-gcm') return 'aes-256-gcm';
  if (s !== undefined) throw new MeshError(MeshErrorCode.InvalidArgument, `--scheme must be cbc or gcm, got "${s}"`);
  if (self === null) return 'aes-256-cbc';
  try {
    const p = RegistryPeerDirectory.load(self, layoutOf(home).registryFile).get(peer);
    return p?.encryption === 'aes-256-gcm' ? 'aes-256-gcm' : 'aes-256-cbc';
  } catch {
    return 'aes-256-cbc';
  }
}

export const command: CommandSpec = {
  name: 'crypt',
  summary: 'encryption keys and manual encrypt/decrypt (bash mesh-crypt compatible)',
  usage: [
    'crypt keygen [<peer>|fleet] [--force]',
    'crypt import <peer>|fleet [--file <path>]',
    'crypt encrypt <peer> [<plaintext>|-] [--scheme cbc|gcm]',
    'crypt decrypt <peer> [<cipher-json>|-]',
    'crypt status',
  ],
  description:
    'Keys live in config/encryption-keys/<peer>.key, falling back to fleet.key. aes-256-cbc is what bash MESH\n' +
    'speaks (no integrity: always combine with signing); aes-256-gcm (authenticated) is used between MESH-TS\n' +
    'nodes when the registry says "encryption": "aes-256-gcm". encrypt prints {"enc","iv","data"} JSON;\n' +
    'decrypt prints the plaintext without a trailing newline, exactly like mesh-crypt.sh.',
  options: {
    scheme: { type: 'string', placeholder: 'cbc|gcm', description: 'cipher for encrypt (default: the registry\'s, else cbc)' },
    file: { type: 'string', placeholder: 'path', description: 'with import: read the key from this file (default stdin)' },
    force: { type: 'boolean', description: 'replace an existing key' },
  },
  examples: ['mesh crypt keygen fleet', 'echo "Top secret" | mesh crypt encrypt beta - > c.json', 'mesh crypt decrypt alpha - < c.json'],
  async run(ctx, args) {
    const [sub, name, text] = args.positionals;
    const { home, self } = homeOf(ctx);
    const { out } = ctx;
    switch (sub) {
      case 'keygen': {
        const target = name ?? 'fleet';
        if (target !== 'fleet') assertAgentName(target, 'peer name');
        const r = generateEncryptionKey(home, target, { force: flag(args, 'force') });
        if (out.json) out.data({ ok: true, name: target, ...r });
        else {
          out.line(`${out.style('green', '✓')} ${r.replaced ? 'replaced' : 'created'} ${r.path}`);
          out.line(target === 'fleet'
            ? '  give every node the same fleet.key: mesh crypt import fleet < key-file'
            : `  on ${target}, store the same key under THIS node's name: mesh crypt import ${self ?? '<this-agent>'} < key-file`);
        }
        return ExitCode.Ok;
      }
      case 'import': {
        if (!name) throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh crypt import <peer>|fleet [--file <path>]');
        if (name !== 'fleet') assertAgentName(name, 'peer name');
        const file = str(args, 'file');
        const keyText = file ? readFileSync(file, 'utf8') : await inputText(ctx, undefined);
        const r = importEncryptionKey(home, name, keyText.trim(), { force: flag(args, 'force') });
        if (out.json) out.data({ ok: true, name, ...r });
        else out.line(`${out.style('green', '✓')} stored ${r.path}`);
        return ExitCode.Ok;
      }
      case 'encrypt': {
        if (!name) throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh crypt encrypt <peer> [<plaintext>|-]');
        assertAgentName(name, 'peer name');
        const plaintext = await inputText(ctx, text);
        const key = keyFor(home, name);
        const scheme = schemeFor(ctx, args, home, self, name);
        ctx.stdout.write(`${scheme === 'aes-256-gcm' ? encryptGcm(key, plaintext, '') : encryptCbc(key, plaintext)}\n`);
        return ExitCode.Ok;
      }
      case 'decrypt': {
        if (!name) throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh crypt decrypt <peer> [<cipher-json>|-]');
        assertAgentName(name, 'peer name');
        const cipher = (await inputText(ctx, text)).trim();
        const key = keyFor(home, name);
        const scheme = bodyScheme(cipher);
        if (scheme === null) throw new MeshError(MeshErrorCode.DecryptFailed, 'input is not {"enc":"aes-256-cbc"|"aes-256-gcm",…} JSON');
        ctx.stdout.write(scheme === 'aes-256-gcm' ? decryptGcm(key, cipher, '') : decryptCbc(key, cipher));
        return ExitCode.Ok;
      }
      case 'status': {
        const peers = self === null ? [] : RegistryPeerDirectory.load(self, layoutOf(home).registryFile).list().map((p) => p.name);
        const r = keyStatus(home, peers);
        const rows = r.peers.map((p) => ({ peer: p.peer, key: p.encryptionSource ?? 'none' }));
        if (out.json) out.data({ fleet: r.fleet.exists, peers: rows });
        else {
          out.line(`fleet.key: ${r.fleet.exists ? 'present' : 'absent'}`);
          if (rows.length) out.table(['PEER', 'KEY USED'], rows.map((x) => [x.peer, x.key]));
        }
        return ExitCode.Ok;
      }
      default:
        throw new MeshError(MeshErrorCode.InvalidArgument, `unknown subcommand "${sub ?? ''}": use keygen, import, encrypt, decrypt or status`);
    }
  },
};
