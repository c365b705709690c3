/**
 * The node's Transport: hook requests go to the HTTP adapter, requests for A2A peers (`binding:
 * "a2a"`) to the A2A client. A request whose SendMessage started a task on the peer is remembered in
 * the store, due at once, so the daemon follows it (a2a-outbound.ts) until its answer becomes the
 * request's MESH response. Probes of A2A peers read their Agent Card.
 */
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { PeerDirectory } from '../../ports/peers.ts';
import type { Store } from '../../ports/store.ts';
import type { Transport } from '../../ports/transport.ts';
import { probeA2A, sendToA2A } from '../../transports/a2a/a2a-client.ts';

/** A remote task is followed at most this long (then given up, with an answer that says so). */
export const A2A_FOLLOW_MAX_MS = 24 * 3_600_000;

export interface MuxDeps {
  store: () => Store;
  peers: PeerDirectory;
  clock: Clock;
  logger: Logger;
}

/** The envelope fields the follow-up needs (our own, stored envelope: parsed without the schema). */
function sentRequest(envelopeText: string): { id: string; type: string; conversationId: string | null; to: string } | null {
  try {
    const e = JSON.parse(envelopeText) as Record<string, unknown>;
    if (typeof e['id'] !== 'string' || typeof e['to'] !== 'string') return null;
    return { id: e['id'], type: String(e['type']), to: e['to'], conversationId: typeof e['conversationId'] === 'string' ? e['conversationId'] : null };
  } catch {
    return null;
  }
}

export function nodeTransport(d: MuxDeps, http: Transport): Transport {
  return {
    async send(req) {
      if (req.binding !== 'a2a') return http.send(req);
      const result = await sendToA2A(req);
      const sent = sentRequest(req.body);
      if (result.a2aTask !== undefined && sent !== null && sent.type === 'request') {
        const now = d.clock.now();
        try {
          d.store().a2aTasks.followRemote({
            messageId: sent.id, peer: sent.to, taskId: result.a2aTask.id, conversationId: sent.conversationId,
            createdAt: now, nextCheckAt: now, expiresAt: now + A2A_FOLLOW_MAX_MS,
          });
        } catch (e) {
          d.logger.error('a2a: could not record the remote task', { id: sent.id, error: (e as Error).name });
        }
      }
      return result;
    },
    probe(baseUrl, timeoutMs) {
      const a2a = d.peers.list().some((p) => p.transport === 'a2a' && p.baseUrl === baseUrl);
      return a2a ? probeA2A(baseUrl, timeoutMs) : http.probe(baseUrl, timeoutMs);
    },
    ...(http.close === undefined ? {} : { close: () => (http.close as () => Promise<void>)() }),
  };
}
