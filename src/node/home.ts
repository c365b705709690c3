/**
 * The node home folder ($MESH_HOME, default ~/.mesh), laid out like bash MESH (§1.5) so key files and
 * the registry stay where bash tools expect them, plus our own config and database:
 *
 *   config/identity                 agent name + "\n"
 *   config/agent-registry.json      bash "2.0" schema + extensions (mode 600)
 *   config/mesh.json                node settings (serve address, delivery, hand-off) — ours
 *   config/api-token                bearer token of the local API when it needs one (mode 600) — ours
 *   config/signing-keys/<peer>.key  config/encryption-keys/<peer>.key|fleet.key   (dirs 700, files 600)
 *   config/identity-ed25519.key|.pub
 *   data/mesh.db                    SQLite (WAL)
 *   logs/mesh-audit.jsonl           audit mirror
 *   files/                          attachments served to peers under expiring URLs
 *   bin/mesh                        `mesh` for an OpenClaw agent's exec PATH (written by `mesh openclaw setup`)
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface HomeLayout {
  home: string;
  configDir: string;
  identityFile: string;
  registryFile: string;
  configFile: string;
  apiTokenFile: string;
  signingKeysDir: string;
  encryptionKeysDir: string;
  dataDir: string;
  databaseFile: string;
  logsDir: string;
  auditLogFile: string;
  filesDir: string;
  /** Holds the generated `mesh` wrapper that OpenClaw's tools.exec.pathPrepend points at. */
  binDir: string;
}

export function layoutOf(home: string): HomeLayout {
  const h = resolve(home);
  const configDir = join(h, 'config');
  return {
    home: h,
    configDir,
    identityFile: join(configDir, 'identity'),
    registryFile: join(configDir, 'agent-registry.json'),
    configFile: join(configDir, 'mesh.json'),
    apiTokenFile: join(configDir, 'api-token'),
    signingKeysDir: join(configDir, 'signing-keys'),
    encryptionKeysDir: join(configDir, 'encryption-keys'),
    dataDir: join(h, 'data'),
    databaseFile: join(h, 'data', 'mesh.db'),
    logsDir: join(h, 'logs'),
    auditLogFile: join(h, 'logs', 'mesh-audit.jsonl'),
    filesDir: join(h, 'files'),
    binDir: join(h, 'bin'),
  };
}

/** `--home` wins, then $MESH_HOME, then ~/.mesh. */
export function resolveHome(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  if (explicit) return resolve(explicit);
  if (env['MESH_HOME']) return resolve(env['MESH_HOME']);
  return join(homedir(), '.mesh');
}

/** $MESH_AGENT wins, then config/identity (whitespace removed); null when neither is set. */
export function resolveAgentName(layout: HomeLayout, env: NodeJS.ProcessEnv): string | null {
  const fromEnv = env['MESH_AGENT']?.trim();
  if (fromEnv) return fromEnv;
  if (!existsSync(layout.identityFile)) return null;
  const name = readFileSync(layout.identityFile, 'utf8').replace(/\s+/g, '');
  return name.length > 0 ? name : null;
}
