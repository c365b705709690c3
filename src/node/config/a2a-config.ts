/**
 * config/mesh.json `a2a`: MESH as an A2A 1.0 server on the hooks listener (docs/a2a.md): Agent Card
 * at /.well-known/agent-card.json, JSON-RPC at /a2a/v1. Clients and their tokens are the registry's
 * `a2aClients`. `advertisedUrl`: the base URL clients reach this listener at (null: http://host:port).
 */
import type { Obj, Reader } from './config-reader.ts';
import { isPlainHttpUrl } from './config-urls.ts';

export interface A2ASkillConfig { id: string; name: string; description: string; tags: string[]; examples: string[] }

export const DEFAULT_A2A_BLOCKING_TIMEOUT_MS = 60_000;
export const DEFAULT_A2A_STREAM_HEARTBEAT_MS = 15_000;
export const DEFAULT_A2A_POLL_INTERVAL_MS = 200;
const DEFAULT_A2A_FOLLOW_INTERVAL_MS = 2_000;
const DEFAULT_A2A_MAX_TEXT_BYTES = 64 * 1024;
const MAX_A2A_SKILLS = 32;

export interface A2AConfig {
  enabled: boolean; name: string | null; description: string; advertisedUrl: string | null;
  skills: A2ASkillConfig[];
  /** A blocking SendMessage answers with the task as it is after this long, finished or not. */
  blockingTimeoutMs: number;
  maxTextBytes: number;
  /** SSE comment lines keep idle streams open through proxies. */
  streamHeartbeatMs: number;
  /** How often the daemon looks for task changes other processes (`mesh reply`) made. */
  pollIntervalMs: number;
  /** How often the daemon asks A2A peers about the tasks this node's requests started (GetTask). */
  followIntervalMs: number;
}

export const A2A_KEYS = ['enabled', 'name', 'description', 'advertisedUrl', 'skills', 'blockingTimeoutMs', 'maxTextBytes', 'streamHeartbeatMs', 'pollIntervalMs', 'followIntervalMs'] as const;

export function defaultA2AConfig(): A2AConfig {
  return {
    enabled: false, name: null, description: 'A MESH node: reliable, authenticated messaging to an AI agent', advertisedUrl: null,
    skills: [], blockingTimeoutMs: DEFAULT_A2A_BLOCKING_TIMEOUT_MS, maxTextBytes: DEFAULT_A2A_MAX_TEXT_BYTES,
    streamHeartbeatMs: DEFAULT_A2A_STREAM_HEARTBEAT_MS, pollIntervalMs: DEFAULT_A2A_POLL_INTERVAL_MS, followIntervalMs: DEFAULT_A2A_FOLLOW_INTERVAL_MS,
  };
}

function readSkills(r: Reader, raw: unknown): A2ASkillConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_A2A_SKILLS) r.fail('a2a.skills', `an array of at most ${MAX_A2A_SKILLS} skills`);
  return raw.map((sk, i) => {
    const o = r.section({ s: sk }, 's', ['id', 'name', 'description', 'tags', 'examples']);
    const at = `a2a.skills[${i}]`;
    const id = o?.['id'];
    if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) r.fail(`${at}.id`, 'a string of 1-64 letters, digits, . _ -');
    const name = typeof o?.['name'] === 'string' && o['name'] !== '' ? o['name'] : id;
    const description = typeof o?.['description'] === 'string' ? o['description'] : '';
    return { id, name, description, tags: r.strings(o, at, 'tags', []), examples: r.strings(o, at, 'examples', []) };
  });
}

export function readA2AConfig(r: Reader, a2: Obj | null): A2AConfig {
  const d = defaultA2AConfig();
  const advertised = a2?.['advertisedUrl'];
  if (advertised !== undefined && advertised !== null && (typeof advertised !== 'string' || !isPlainHttpUrl(advertised))) {
    r.fail('a2a.advertisedUrl', 'an http(s) URL without credentials, query or fragment, or null');
  }
  return {
    enabled: r.bool(a2, 'a2a', 'enabled', d.enabled),
    name: typeof a2?.['name'] === 'string' ? r.str(a2, 'a2a', 'name', '') : null,
    description: r.str(a2, 'a2a', 'description', d.description),
    advertisedUrl: typeof advertised === 'string' ? advertised.replace(/\/+$/, '') : null,
    skills: readSkills(r, a2?.['skills']),
    blockingTimeoutMs: r.int(a2, 'a2a', 'blockingTimeoutMs', d.blockingTimeoutMs, 100, 600_000),
    maxTextBytes: r.int(a2, 'a2a', 'maxTextBytes', d.maxTextBytes, 1024, 1024 * 1024),
    streamHeartbeatMs: r.int(a2, 'a2a', 'streamHeartbeatMs', d.streamHeartbeatMs, 100, 600_000),
    pollIntervalMs: r.int(a2, 'a2a', 'pollIntervalMs', d.pollIntervalMs, 10, 60_000),
    followIntervalMs: r.int(a2, 'a2a', 'followIntervalMs', d.followIntervalMs, 50, 3_600_000),
  };
}
