/**
 * The A2A clients this node serves, from the registry's top-level `a2aClients` object:
 *   "a2aClients": { "<name>": { "token": "<bearer token the client presents>" } }
 * The name becomes the `from` of the MESH request the client's message turns into, so it must be a
 * valid agent name. The registry is live: a client removed (or its token changed) is refused from
 * the next request on. Tokens shorter than 16 characters are ignored (reported by `problems`).
 */
import { isValidAgentName } from '../../protocol/names.ts';
import { tokensEqual } from '../../transports/http/hook-token.ts';
import type { MeshNode } from '../mesh-node.ts';

export const A2A_CLIENT_MIN_TOKEN_LENGTH = 16;

export interface A2AClient { name: string; token: string }

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function a2aClientsOf(node: MeshNode): { clients: A2AClient[]; problems: string[] } {
  const raw = node.registry.current().file['a2aClients'];
  const clients: A2AClient[] = [];
  const problems: string[] = [];
  if (raw === undefined) return { clients, problems };
  if (!isObj(raw)) return { clients, problems: ['a2aClients: must be an object of { "<name>": { "token": "…" } }'] };
  for (const [name, entry] of Object.entries(raw)) {
    const token = isObj(entry) ? entry['token'] : undefined;
    if (!isValidAgentName(name)) problems.push(`a2aClients "${name.slice(0, 64)}": invalid name`);
    else if (typeof token !== 'string' || token.length < A2A_CLIENT_MIN_TOKEN_LENGTH || /\s/.test(token)) {
      problems.push(`a2aClients "${name}": token must be at least ${A2A_CLIENT_MIN_TOKEN_LENGTH} characters without spaces`);
    } else clients.push({ name, token });
  }
  return { clients, problems };
}

/** The client whose token this is (constant-time comparison against every client), or null. */
export function a2aClientByToken(node: MeshNode, given: string): A2AClient | null {
  let found: A2AClient | null = null;
  for (const c of a2aClientsOf(node).clients) if (tokensEqual(given, c.token) && found === null) found = c;
  return found;
}
