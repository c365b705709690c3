/**
 * `mesh openclaw setup`: connects a MESH node to a local OpenClaw gateway (sidecar topology).
 * Writes and proves the agent's `mesh` (<home>/bin/mesh, see mesh-wrapper.ts) first, then the node
 * side (config/mesh.json hand-off to the gateway), the workspace skill and an AGENTS.md snippet, and
 * returns the gateway-side config to merge into openclaw.json (its exec PATH gets <home>/bin).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import type { MeshNode } from '../mesh-node.ts';
import { verifyMeshWrapper, writeMeshWrapper } from './mesh-wrapper.ts';
import { agentsMdSnippet, skillMarkdown } from './skill-text.ts';

export interface OpenClawSetupOptions {
  gatewayUrl: string;
  /** The gateway's hooks.token; generated when absent (then put it into openclaw.json). */
  hookToken?: string | undefined;
  /** The agent workspace (skills/ and AGENTS.md live there). */
  workspace?: string | undefined;
  /** Absolute path of the Node (≥ 24.12) that runs the agent's `mesh` (normally process.execPath). */
  nodePath: string;
  /** Absolute path of the CLI entry the agent's `mesh` runs (dist/cli/bin.js or src/cli/bin.ts). */
  cliEntry: string;
  /** Append the snippet to <workspace>/AGENTS.md (once). */
  writeAgentsMd?: boolean | undefined;
  /** Merge the hooks section into this openclaw.json (plain JSON only). */
  openclawConfig?: string | undefined;
}

export interface OpenClawSetupResult {
  /** The agent's `mesh` (a wrapper script), already run successfully. */
  meshWrapper: string;
  /** The folder tools.exec.pathPrepend names. */
  meshBinDir: string;
  /** What the wrapper printed for `--version`. */
  meshVersion: string;
  nodeConfigFile: string;
  skillFile: string | null;
  agentsMdFile: string | null;
  openclawConfigFile: string | null;
  /**
   * The openclaw.json fragment the gateway needs, for output: hooks.token is a placeholder naming
   * where the token is (a secret never appears in output). The file written with --openclaw-config
   * holds the real token.
   */
  gatewayConfig: Record<string, unknown>;
  /** The file that holds the hook token (config/mesh.json, key openclaw.hookToken, mode 0600). */
  hookTokenFile: string;
  agentsMd: string;
  hookTokenGenerated: boolean;
}

/** What output shows in place of the hook token. */
export function hookTokenPlaceholder(configFile: string): string {
  return `<secret: openclaw.hookToken in ${configFile}>`;
}

export function gatewayConfigFor(hookToken: string, meshBinDir: string): Record<string, unknown> {
  return {
    hooks: {
      enabled: true,
      token: hookToken,
      path: '/hooks',
      allowRequestSessionKey: true,
      allowedSessionKeyPrefixes: ['hook:'],
    },
    tools: { exec: { pathPrepend: [meshBinDir] } },
  };
}

/** tools.exec.pathPrepend after setup: ours first, the user's other entries kept. */
function pathPrependWith(current: unknown, binDir: string, staleDirs: readonly string[]): string[] {
  const kept = Array.isArray(current) ? current.filter((d): d is string => typeof d === 'string' && d !== binDir && !staleDirs.includes(d)) : [];
  return [binDir, ...kept];
}

function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    const cur = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      mergeInto(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      target[k] = v;
    }
  }
}

export async function setupOpenClaw(node: MeshNode, o: OpenClawSetupOptions): Promise<OpenClawSetupResult> {
  // The agent's mesh first: nothing points the gateway at it until it has run.
  const binDir = node.layout.binDir;
  const meshWrapper = writeMeshWrapper({ binDir, nodePath: o.nodePath, cliEntry: o.cliEntry, home: node.layout.home });
  const check = await verifyMeshWrapper(meshWrapper);

  const hookTokenGenerated = !o.hookToken;
  const hookToken = o.hookToken ?? `oc-hook-${randomBytes(16).toString('hex')}`;
  // Node side: forward verified messages to the gateway's /hooks/agent.
  const cfgFile = node.layout.configFile;
  let cfg: Record<string, unknown> = {};
  if (existsSync(cfgFile)) {
    try {
      cfg = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new MeshError(MeshErrorCode.ConfigInvalid, `${cfgFile} is not valid JSON: ${(e as Error).message}`);
    }
  }
  mergeInto(cfg, {
    inbound: { handOff: 'openclaw' },
    openclaw: { gatewayUrl: o.gatewayUrl.replace(/\/+$/, ''), hookToken, allowedSessionKeyPrefixes: ['hook:'] },
  });
  writeFileAtomic(cfgFile, `${JSON.stringify(cfg, null, 2)}\n`, 0o600);

  let skillFile: string | null = null;
  let agentsMdFile: string | null = null;
  const agentsMd = agentsMdSnippet(node.self);
  if (o.workspace) {
    skillFile = join(o.workspace, 'skills', 'mesh', 'SKILL.md');
    mkdirSync(dirname(skillFile), { recursive: true });
    writeFileSync(skillFile, skillMarkdown(node.self));
    if (o.writeAgentsMd) {
      agentsMdFile = join(o.workspace, 'AGENTS.md');
      const current = existsSync(agentsMdFile) ? readFileSync(agentsMdFile, 'utf8') : '';
      if (!current.includes('## MESH (messages from agents on other hosts)')) {
        writeFileSync(agentsMdFile, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${current ? '\n' : ''}${agentsMd}`);
      }
    }
  }
  const gatewayConfig = gatewayConfigFor(hookToken, binDir);
  let openclawConfigFile: string | null = null;
  if (o.openclawConfig) {
    let oc: Record<string, unknown> = {};
    if (existsSync(o.openclawConfig)) {
      try {
        oc = JSON.parse(readFileSync(o.openclawConfig, 'utf8')) as Record<string, unknown>;
      } catch {
        throw new MeshError(MeshErrorCode.ConfigInvalid, `${o.openclawConfig} is not plain JSON (JSON5?): merge the printed "hooks" section by hand`);
      }
    }
    const existingPathPrepend = ((oc['tools'] as { exec?: { pathPrepend?: unknown } } | undefined)?.exec)?.pathPrepend;
    mergeInto(oc, gatewayConfig);
    // Arrays replace in mergeInto, but the exec PATH keeps the user's own folders. The CLI's own
    // folder holds bin.js, no `mesh`: an entry naming it only hides mistakes, so it is dropped.
    const exec = (oc['tools'] as { exec: Record<string, unknown> }).exec;
    exec['pathPrepend'] = pathPrependWith(existingPathPrepend, binDir, [dirname(o.cliEntry)]);
    writeFileAtomic(o.openclawConfig, `${JSON.stringify(oc, null, 2)}\n`, 0o600);
    openclawConfigFile = o.openclawConfig;
  }
  return {
    meshWrapper, meshBinDir: binDir, meshVersion: check.version, nodeConfigFile: cfgFile, skillFile, agentsMdFile, openclawConfigFile,
    gatewayConfig: gatewayConfigFor(hookTokenPlaceholder(cfgFile), binDir), hookTokenFile: cfgFile, agentsMd, hookTokenGenerated,
  };
}
