/**
 * `mesh openclaw setup`: connects a MESH node to a local OpenClaw gateway (sidecar topology).
 * Writes the node side (config/mesh.json hand-off to the gateway), the workspace skill and an
 * AGENTS.md snippet, and returns the gateway-side config to merge into openclaw.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import type { MeshNode } from '../mesh-node.ts';
import { agentsMdSnippet, skillMarkdown } from './skill-text.ts';

export interface OpenClawSetupOptions {
  gatewayUrl: string;
  /** The gateway's hooks.token; generated when absent (then put it into openclaw.json). */
  hookToken?: string | undefined;
  /** The agent workspace (skills/ and AGENTS.md live there). */
  workspace?: string | undefined;
  /** Directory holding the `mesh` executable, for tools.exec.pathPrepend. */
  meshBinDir: string;
  /** Append the snippet to <workspace>/AGENTS.md (once). */
  writeAgentsMd?: boolean | undefined;
  /** Merge the hooks section into this openclaw.json (plain JSON only). */
  openclawConfig?: string | undefined;
}

export interface OpenClawSetupResult {
  nodeConfigFile: string;
  skillFile: string | null;
  agentsMdFile: string | null;
  openclawConfigFile: string | null;
  gatewayConfig: Record<string, unknown>;
  agentsMd: string;
  hookTokenGenerated: boolean;
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

export function setupOpenClaw(node: MeshNode, o: OpenClawSetupOptions): OpenClawSetupResult {
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

  const peers = node.registry.list().map((p) => p.name);
  let skillFile: string | null = null;
  let agentsMdFile: string | null = null;
  const agentsMd = agentsMdSnippet(node.self);
  if (o.workspace) {
    skillFile = join(o.workspace, 'skills', 'mesh', 'SKILL.md');
    mkdirSync(dirname(skillFile), { recursive: true });
    writeFileSync(skillFile, skillMarkdown(node.self, peers));
    if (o.writeAgentsMd) {
      agentsMdFile = join(o.workspace, 'AGENTS.md');
      const current = existsSync(agentsMdFile) ? readFileSync(agentsMdFile, 'utf8') : '';
      if (!current.includes('## MESH (messages from agents on other hosts)')) {
        writeFileSync(agentsMdFile, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${current ? '\n' : ''}${agentsMd}`);
      }
    }
  }
  const gatewayConfig = gatewayConfigFor(hookToken, o.meshBinDir);
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
    mergeInto(oc, gatewayConfig);
    writeFileAtomic(o.openclawConfig, `${JSON.stringify(oc, null, 2)}\n`, 0o600);
    openclawConfigFile = o.openclawConfig;
  }
  return { nodeConfigFile: cfgFile, skillFile, agentsMdFile, openclawConfigFile, gatewayConfig, agentsMd, hookTokenGenerated };
}
