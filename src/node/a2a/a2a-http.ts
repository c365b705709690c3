/**
 * What the daemon's A2A routes (server/a2a/) need from below: who a bearer token belongs to, with
 * the hooks listener's throttling of clients that keep presenting wrong tokens, and the bounded
 * body reader. Tokens are compared in constant time and never logged or echoed.
 */
import type { MeshNode } from '../mesh-node.ts';
import { createAuthFailureLimiter } from '../../transports/http/auth-failure-limiter.ts';
import { extractHookToken } from '../../transports/http/hook-token.ts';
import { a2aClientByToken, type A2AClient } from './a2a-clients.ts';

export { readLimitedStream } from '../../transports/http/read-limited-body.ts';

export type A2AAuth = { ok: true; client: A2AClient } | { ok: false; status: 401 | 429; retryAfterMs: number };

export function createA2AAuth(node: MeshNode): (authorization: string | undefined, clientKey: string) => A2AAuth {
  const limiter = createAuthFailureLimiter({ clock: node.clock });
  return (authorization, clientKey) => {
    const given = extractHookToken(authorization, undefined);
    const client = given === null ? null : a2aClientByToken(node, given);
    if (client !== null) return { ok: true, client };
    const locked = limiter.lockedFor(clientKey);
    if (locked > 0) return { ok: false, status: 429, retryAfterMs: locked };
    if (limiter.fail(clientKey)) node.logger.warn('a2a auth lockout', { client: clientKey });
    return { ok: false, status: 401, retryAfterMs: 0 };
  };
}
