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
import { writeFileAtomic } from './atomic-write.ts';
import { layoutOf } from './home.ts';
import { DEFAULT_SERVE_PORT } from './node-config.ts';
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
}

export interface InitResult {
  home: string;
  agent: string;
  created: string[];
  kept: string[];
  publicKey: string;
  warnings: string[];
}

export function newHookToken(): string {
  return `mesh-${randomBytes(12).toString('hex')}`;
}

export function initHome(o: InitOptions): InitResult {
  const agent = assertAgentName(o.agent);
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

  if (!existsSync(L.configFile)) {
    const cfg = { serve: { host: '127.0.0.1', port: o.port ?? DEFAULT_SERVE_PORT }, inbound: { handOff: 'inbox' } };
    writeFileAtomic(L.configFile, `${JSON.stringify(cfg, null, 2)}\n`, 0o600);
    note(L.configFile, true);
  } else {
    note(L.configFile, false);
  }

  const dbExisted = existsSync(L.databaseFile);
  openSqliteStore(L.databaseFile).close();
  note(L.databaseFile, !dbExisted);

  return { home: L.home, agent, created, kept, publicKey: id.identity.publicKey, warnings };
}
