/**
 * config/mesh.json `sessions`: collaborative session limits. bash's MESH_MAX_SESSION_MESSAGES and
 * MESH_SESSION_TTL_HOURS override the file, as they did bash's defaults.
 */
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { DEFAULT_SESSION_MAX_MESSAGES, DEFAULT_SESSION_TTL_HOURS } from '../../sessions/session-limits.ts';
import type { Obj, Reader } from './config-reader.ts';

export interface SessionsConfig { maxMessages: number; ttlHours: number }

export const SESSIONS_KEYS = ['maxMessages', 'ttlHours'] as const;
const SESSION_MAX_MESSAGES_LIMIT = 10_000;
const SESSION_TTL_HOURS_LIMIT = 24 * 365;

export function defaultSessionsConfig(): SessionsConfig {
  return { maxMessages: DEFAULT_SESSION_MAX_MESSAGES, ttlHours: DEFAULT_SESSION_TTL_HOURS };
}

export function readSessionsConfig(r: Reader, ss: Obj | null): SessionsConfig {
  const d = defaultSessionsConfig();
  return {
    maxMessages: r.int(ss, 'sessions', 'maxMessages', d.maxMessages, 1, SESSION_MAX_MESSAGES_LIMIT),
    ttlHours: r.int(ss, 'sessions', 'ttlHours', d.ttlHours, 1, SESSION_TTL_HOURS_LIMIT),
  };
}

/** A whole number 1..max from the environment; unset or empty keeps `dflt`, anything else is refused. */
function envInt(env: NodeJS.ProcessEnv, name: string, dflt: number, max: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return dflt;
  const n = Number(v.trim());
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `environment variable ${name} must be a whole number 1..${max}`);
  }
  return n;
}

/** The session limits with bash's environment variables applied over them. */
export function sessionsFromEnv(c: SessionsConfig, env: NodeJS.ProcessEnv): SessionsConfig {
  return {
    maxMessages: envInt(env, 'MESH_MAX_SESSION_MESSAGES', c.maxMessages, SESSION_MAX_MESSAGES_LIMIT),
    ttlHours: envInt(env, 'MESH_SESSION_TTL_HOURS', c.ttlHours, SESSION_TTL_HOURS_LIMIT),
  };
}
