/**
 * config/agent-registry.json: the bash "2.0" schema (agents with ip, port, token, role, hookPath,
 * signing; groups) plus our extensions per agent:
 *   url          base URL instead of ip+port (e.g. "http://[::1]:18790")
 *   signing      true|false (bash) or "hmac" | "ed25519" | "none"
 *   encryption   "aes-256-cbc" (bash peers, default) | "aes-256-gcm" (MESH-TS peers)
 *   publicKey    the peer's Ed25519 public key (base64 of 32 raw bytes)
 *   hookBasePath default "/hooks"
 *   transport    "http" (default; "hook" is the same) | "nats": reached over the fleet's NATS JetStream
 *                (docs/nats.md); a NATS peer needs no ip/url (its address is its name on the bus) and
 *                must sign (hmac or ed25519): anyone who may publish on the bus could otherwise speak
 *                for it | "a2a": an A2A 1.0 agent; `url` is its JSON-RPC endpoint, `token` its bearer
 *                token (docs/a2a.md)
 * Unknown fields are kept when the file is rewritten. Invalid entries are skipped and reported in
 * `problems` rather than making the whole node unusable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { jsonSyntaxReason } from '../protocol/json.ts';
import { isEd25519PublicKey } from '../crypto/ed25519.ts';
import { isValidAgentName } from '../protocol/names.ts';
import type { EncryptionScheme, PeerConfig, PeerDirectory, SigningScheme } from '../ports/peers.ts';
import { natsPeerUrl } from '../transports/nats/nats-address.ts';
import { writeFileAtomic } from './atomic-write.ts';

export const DEFAULT_GATEWAY_PORT = 18789;

export type RegistryEntry = Record<string, unknown>;
export interface RegistryFile {
  version: string;
  agents: Record<string, RegistryEntry>;
  groups?: Record<string, string[]>;
  [k: string]: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function emptyRegistry(): RegistryFile {
  return { version: '2.0', agents: {} };
}

export function readRegistryFile(path: string): RegistryFile {
  if (!existsSync(path)) {
    throw new MeshError(MeshErrorCode.NotInitialized, `no registry at ${path}: run \`mesh init --agent <name>\` first`);
  }
  return parseRegistryText(readFileSync(path, 'utf8'), path);
}

/** Parses and checks the outer shape of a registry file's text (entries are checked by peerFromEntry). */
export function parseRegistryText(text: string, path: string): RegistryFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `${path} is ${jsonSyntaxReason(e)}`);
  }
  if (!isObj(parsed) || !isObj(parsed['agents'])) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `${path}: expected an object with an "agents" object`);
  }
  if (parsed['groups'] !== undefined && !isObj(parsed['groups'])) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `${path}: "groups" must be an object of name arrays`);
  }
  return parsed as RegistryFile;
}

export function writeRegistryFile(path: string, reg: RegistryFile): void {
  writeFileAtomic(path, `${JSON.stringify(reg, null, 2)}\n`, 0o600);
}

const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME_RE = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/**
 * An IP address (v4, or v6 with or without brackets) or a DNS host name. Something that looks like
 * an IPv4 address but is not one (`999.1.1.1`, `10.0.0`) is refused, as URL parsers do, instead of
 * being looked up in DNS and retried for ever.
 */
export function isValidPeerHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  // Zone ids (fe80::1%eth0) cannot be written in a URL.
  if (isIP(bare) !== 0) return !bare.includes('%');
  if (host !== bare) return false;
  const last = bare.split('.').pop() ?? '';
  return HOSTNAME_RE.test(bare) && !/^\d+$/.test(last);
}

function formatHost(ip: string): string {
  return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
}

function signingOf(v: unknown): SigningScheme | null {
  if (v === undefined || v === false || v === 'none') return 'none';
  if (v === true || v === 'hmac') return 'hmac';
  if (v === 'ed25519') return 'ed25519';
  return null;
}

/** Unset: bash's scheme for HTTP peers (any may be a bash node); GCM for NATS peers (all are MESH-TS). */
function encryptionOf(v: unknown, transport: 'http' | 'nats' | 'a2a'): EncryptionScheme | null {
  if (v === undefined) return transport === 'nats' ? 'aes-256-gcm' : 'aes-256-cbc';
  if (v === 'aes-256-cbc' || v === 'aes-256-gcm' || v === 'none') return v;
  return null;
}

/** Converts one registry entry to a PeerConfig, or returns a problem description. */
export function peerFromEntry(name: string, e: RegistryEntry): PeerConfig | string {
  if (!isValidAgentName(name)) return `agent "${name}": invalid name`;
  const transport = e['transport'] === undefined || e['transport'] === 'hook' ? 'http' : e['transport'];
  if (transport !== 'http' && transport !== 'nats' && transport !== 'a2a') return `agent "${name}": transport must be "http", "nats" or "a2a"`;
  let baseUrl: string;
  if (transport === 'nats') {
    baseUrl = natsPeerUrl(name);
  } else if (typeof e['url'] === 'string') {
    let u: URL;
    try {
      u = new URL(e['url']);
    } catch {
      return `agent "${name}": url is not a valid URL`;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `agent "${name}": url must be http or https`;
    baseUrl = e['url'].replace(/\/+$/, '');
  } else if (typeof e['ip'] === 'string' && e['ip'].length > 0 && e['ip'] !== 'null') {
    if (!isValidPeerHost(e['ip'])) return `agent "${name}": ip ${JSON.stringify(e['ip'].slice(0, 64))} is not an IP address or host name`;
    const port = e['port'] === undefined ? DEFAULT_GATEWAY_PORT : Number(e['port']);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return `agent "${name}": port must be 1-65535`;
    baseUrl = `http://${formatHost(e['ip'])}:${port}`;
  } else {
    return `agent "${name}": needs "ip" (and "port") or "url"`;
  }
  const signing = signingOf(e['signing']);
  if (signing === null) return `agent "${name}": signing must be true, false, "hmac", "ed25519" or "none"`;
  const encryption = encryptionOf(e['encryption'], transport);
  if (encryption === null) return `agent "${name}": encryption must be "aes-256-cbc", "aes-256-gcm" or "none"`;
  const publicKey = typeof e['publicKey'] === 'string' ? e['publicKey'] : null;
  if (publicKey !== null && !isEd25519PublicKey(publicKey)) return `agent "${name}": publicKey must be the base64 of a 32-byte Ed25519 key (44 characters)`;
  if (signing === 'ed25519' && publicKey === null) return `agent "${name}": signing "ed25519" needs "publicKey"`;
  if (transport === 'nats' && signing === 'none') return `agent "${name}": transport "nats" needs signing "hmac" or "ed25519" (the bus does not authenticate senders)`;
  if (transport === 'a2a' && typeof e['url'] !== 'string') return `agent "${name}": transport "a2a" needs "url" (the A2A JSON-RPC endpoint)`;
  const hookBasePath = typeof e['hookBasePath'] === 'string' ? e['hookBasePath'].replace(/\/+$/, '') : '/hooks';
  return {
    name,
    baseUrl,
    token: typeof e['token'] === 'string' && e['token'].length > 0 ? e['token'] : null,
    role: typeof e['role'] === 'string' ? e['role'] : 'peer',
    signing,
    encryption,
    publicKey,
    hookBasePath: hookBasePath.startsWith('/') ? hookBasePath : `/${hookBasePath}`,
    ...(transport === 'http' ? {} : { transport }),
  };
}

/** PeerDirectory over one version of a registry file (a snapshot; see LiveRegistry for the live view). */
export class RegistryPeerDirectory implements PeerDirectory {
  readonly #self: string;
  readonly #peers = new Map<string, PeerConfig>();
  readonly #groups: Record<string, string[]>;
  readonly problems: string[] = [];
  readonly file: RegistryFile;

  constructor(self: string, file: RegistryFile) {
    this.#self = self;
    this.file = file;
    for (const [name, entry] of Object.entries(file.agents)) {
      const p = isObj(entry) ? peerFromEntry(name, entry) : `agent "${name}": entry must be an object`;
      if (typeof p === 'string') this.problems.push(p);
      else this.#peers.set(name, p);
    }
    this.#groups = {};
    for (const [g, members] of Object.entries(file.groups ?? {})) {
      if (Array.isArray(members)) this.#groups[g] = members.filter((m): m is string => typeof m === 'string');
      else this.problems.push(`group "${g}": must be an array of agent names`);
    }
  }

  static load(self: string, path: string): RegistryPeerDirectory {
    return new RegistryPeerDirectory(self, readRegistryFile(path));
  }

  self(): string {
    return this.#self;
  }
  /** Includes self (its entry says where peers reach this node and which token they must present). */
  get(name: string): PeerConfig | null {
    return this.#peers.get(name) ?? null;
  }
  list(): PeerConfig[] {
    return [...this.#peers.values()].filter((p) => p.name !== this.#self);
  }
  group(name: string): string[] | null {
    const g = this.#groups[name];
    return g === undefined ? null : g.filter((m) => m !== this.#self);
  }
  groupNames(): string[] {
    return Object.keys(this.#groups);
  }
}
