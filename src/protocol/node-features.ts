/**
 * What a MESH-TS node advertises in its GET /health answer, beside bash-compatible fields:
 *
 *   {"ok":true,"status":"live","agent":"gamma","version":"0.1.0","features":["relay/1","forward/1"]}
 *
 *   relay/1    it verifies a relayed envelope against what its sender signed (the `relay` marker left
 *              out) and follows signed relay-election announcements. Messages are routed through a
 *              relay only TO peers that said so (or unsigned ones: see fleet/routes.ts).
 *   forward/1  it forwards relayed envelopes for peers in its registry: it can be elected relay.
 *   batch/1    it takes several hook bodies in one POST (protocol/hook-batch.ts).
 *
 * An OpenClaw gateway (so a bash MESH node) answers `{"ok":true,"status":"live"}`: no agent, no
 * features. The answer is unauthenticated; it only decides where we TRY to send, never what we accept.
 */
import { isValidAgentName } from './names.ts';

export const FEATURE_RELAY = 'relay/1';
export const FEATURE_FORWARD = 'forward/1';

const FEATURE_RE = /^[a-z0-9-]{1,32}\/[0-9]{1,4}$/;
const MAX_FEATURES = 16;

export interface HealthAnswer {
  /** The agent the answer names, when it is a valid agent name. */
  agent: string | null;
  features: string[];
}

/** Reads a health answer's body; anything unexpected reads as "no agent, no features". Never throws. */
export function parseHealthAnswer(body: string): HealthAnswer {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return { agent: null, features: [] };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { agent: null, features: [] };
  const { agent, features } = v as { agent?: unknown; features?: unknown };
  return {
    agent: typeof agent === 'string' && isValidAgentName(agent) ? agent : null,
    features: Array.isArray(features)
      ? [...new Set(features.filter((f): f is string => typeof f === 'string' && FEATURE_RE.test(f)))].slice(0, MAX_FEATURES)
      : [],
  };
}
