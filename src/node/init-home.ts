/**
 * `mesh init`: creates (or completes) a node home. Idempotent: existing files are kept, missing ones
 * are created; re-running with another agent name is refused unless forced.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { assertAgentName, isBashCompatibleName } from '../protocol/names.ts';
import { ensureIdentity, ensureKeyDirs } from '../crypto/key-files.ts';
import { openSqliteStore } from '../store/sqlite/open-sqlite-store.ts';
import { ensureApiToken } from './api-token.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { layoutOf } from './home.ts';
import { isHostAddress, isLoopbackHost, listenHostFor, localInterfaceAddresses } from './listen-address.ts';
import { DEFAULT_SERVE_PORT } from './config/serve-config.ts';
import { emptyRegistry, readRegistryFile, writeRegistryFile } from './registry.ts';

export interface InitOptions {
  home: string;
  agent: string;
  /** Address peers use to reach this node (registry self entry). Default 127.0.0.1. */
  ip?: string | undefined;
  /** Port peers use to reach this node: `mesh serve` (sidecar) or the OpenClaw gateway (direct). */
  port?: number | undefined;
  role?: string | undefined;
  /** Allow renaming a home that belongs to another agent. */
  force?: boolean | undefined;
  /** This host's interface addresses (default: os.networkInterfaces); decides where serve listens. */
  localAddresses?: readonly string[] | undefined;
}

export interface InitResult {
  home: string;
  agent: string;
  created: string[];
  kept: string[];
  publicKey: string;
  /** Where `mesh serve` listens (config/mesh.json serve.host/port, as written now or kept). */
  serve: { host: string; port: number };
  warnings: string[];
}

export function newHookToken(): string {
  return `mesh-${randomBytes(12).toString('hex')}`;
}

/** serve.host/port of an existing config/mesh.json, defaults where it says nothing (or is not JSON:
 *  loading it reports that properly). */
function servedAt(configFile: string): { host: string; port: number } {
  try {
    const serve = (JSON.parse(readFileSync(configFile, 'utf8')) as { serve?: { host?: unknown; port?: unknown } }).serve;
    return {
      host: typeof serve?.host === 'string' ? serve.host : '127.0.0.1',
      port: typeof serve?.port === 'number' ? serve.port : DEFAULT_SERVE_PORT,
    };
  } catch {
    return { host: '127.0.0.1', port: DEFAULT_SERVE_PORT };
  }
}

function exposureWarning(host: string, port: number, ip: string, allInterfaces: boolean): string {
  const where = allInterfaces
    ? `${ip} is not an address of this host (NAT or a DNS name?), so \`mesh serve\` listens on all interfaces (${host} port ${port})`
    : `\`mesh serve\` listens on ${host} port ${port}`;
  return `${where}: reachable from the network, as --ip asks. Anyone who can connect may try; requests need this node's hook token, and messages from peers with signing enabled (\`mesh keygen <peer> --enable\`) must be signed. Open port ${port} to your peers only.`;
}

export function initHome(o: InitOptions): InitResult {
  const agent = assertAgentName(o.agent);
  if (o.ip !== undefined && !isHostAddress(o.ip)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--ip must be an IP address or a host name, got "${o.ip}"`);
  }
  const L = layoutOf(o.home);
  const created: string[] = [];
  const kept: string[] = [];
  const warnings: string[] = [];
  if (!isBashCompatibleName(agent)) {
    warnings.push(`"${agent}" contains '-': bash MESH v3.2 nodes cannot address it (they need [A-Za-z_][A-Za-z0-9_]*)`);
  }
  const note = (path: string, made: boolean): void => void (made ? created : kept).push(path);

  for (const dir of [L.home, L.configDir, L.dataDir, L.logsDir, L.filesDir]) {
    const made = !existsSync(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (made) note(dir, true);
  }

  if (existsSync(L.identityFile)) {
    const current = readFileSync(L.identityFile, 'utf8').replace(/\s+/g, '');
    if (current !== agent && !o.force) {
      throw new MeshError(MeshErrorCode.AlreadyExists, `${L.home} already belongs to agent "${current}"; use another --home, or --force to rename it to "${agent}"`);
    }
    if (current !== agent) writeFileAtomic(L.identityFile, `${agent}\n`, 0o644);
    note(L.identityFile, current !== agent);
  } else {
    writeFileAtomic(L.identityFile, `${agent}\n`, 0o644);
    note(L.identityFile, true);
  }

  const registryExisted = existsSync(L.registryFile);
  const reg = registryExisted ? readRegistryFile(L.registryFile) : emptyRegistry();
  if (reg.agents[agent] === undefined) {
    reg.agents[agent] = {
      ip: o.ip ?? '127.0.0.1',
      port: o.port ?? DEFAULT_SERVE_PORT,
      token: newHookToken(),
      role: o.role ?? 'peer',
      hookPath: '/hooks',
      signing: false,
    };
    reg.groups ??= {};
    writeRegistryFile(L.registryFile, reg);
    note(L.registryFile, true);
  } else {
    note(L.registryFile, false);
  }

  ensureKeyDirs(L.home);
  const id = ensureIdentity(L.home);
  note(id.privateKeyPath, id.created);

  // Peers are told to connect to --ip, so `mesh serve` must listen there (loopback stays loopback).
  const listen = o.ip === undefined ? { host: '127.0.0.1', allInterfaces: false } : listenHostFor(o.ip, o.localAddresses ?? localInterfaceAddresses());
  let serve: { host: string; port: number };
  if (!existsSync(L.configFile)) {
    serve = { host: listen.host, port: o.port ?? DEFAULT_SERVE_PORT };
    const cfg = { serve, inbound: { handOff: 'inbox' } };
    writeFileAtomic(L.configFile, `${JSON.stringify(cfg, null, 2)}\n`, 0o600);
    note(L.configFile, true);
    if (o.ip !== undefined && !isLoopbackHost(serve.host)) warnings.push(exposureWarning(serve.host, serve.port, o.ip, listen.allInterfaces));
  } else {
    note(L.configFile, false);
    serve = servedAt(L.configFile);
    if (o.ip !== undefined && serve.host !== listen.host) {
      warnings.push(`${L.configFile} already exists and keeps serve.host "${serve.host}": \`mesh serve\` does NOT listen where --ip ${o.ip} tells peers to connect. Set serve.host to "${listen.host}" there (or run \`mesh serve --host ${listen.host}\`).`);
    }
  }
  const selfIp = reg.agents[agent]?.['ip'];
  if (registryExisted && o.ip !== undefined && typeof selfIp === 'string' && selfIp !== o.ip) {
    warnings.push(`the registry keeps ${agent}'s address ${selfIp}, not --ip ${o.ip}: \`mesh join --show\` and peers still use ${selfIp}. Edit agents.${agent}.ip in ${L.registryFile} to change it.`);
  }

  // The local API's token: needed when the API listens beyond loopback (`mesh api token` shows it).
  note(L.apiTokenFile, ensureApiToken(L).created);

  const dbExisted = existsSync(L.databaseFile);
  openSqliteStore(L.databaseFile).close();
  note(L.databaseFile, !dbExisted);

  return { home: L.home, agent, created, kept, publicKey: id.identity.publicKey, serve, warnings };
}
