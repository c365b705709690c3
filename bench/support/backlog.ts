/**
 * A backlog in a node's outbox, written the way `mesh send` would leave it if nothing could be sent:
 * each message composed and signed for its peer (composeEnvelope) and enqueued through the store API,
 * many per transaction. The node's daemon must not run meanwhile (nothing would stop it sending).
 */
import { composeEnvelope } from '../../src/node/compose.ts';
import { openNode } from '../../src/node/mesh-node.ts';

export interface BacklogOptions {
  /** Messages go to these peers in turn (round-robin). */
  peers: readonly string[];
  count: number;
  ttlSeconds: number;
  /** Messages per transaction. */
  batch?: number;
  /** Called after each transaction with how many are enqueued so far. */
  onProgress?: (done: number) => void;
}

const DEFAULT_BATCH = 2_000;

/** Enqueues the backlog; returns the wall time it took (ms). */
export async function enqueueBacklog(home: string, o: BacklogOptions): Promise<number> {
  const batch = o.batch ?? DEFAULT_BATCH;
  const node = openNode({ home, env: {} });
  try {
    const peers = o.peers.map((name) => node.peer(name));
    const store = node.store;
    const t0 = performance.now();
    for (let done = 0; done < o.count; done += batch) {
      store.transaction(() => {
        for (let i = done; i < Math.min(o.count, done + batch); i++) {
          const peer = peers[i % peers.length];
          if (peer === undefined) throw new Error('enqueueBacklog needs at least one peer');
          const now = node.clock.now();
          const c = composeEnvelope({ self: node.self, selfEntry: node.selfEntry(), keys: node.keys, ids: node.ids, now }, peer,
            { type: 'notification', body: `backlog message ${i}`, ttlSeconds: o.ttlSeconds });
          store.outbox.enqueue({
            id: c.envelope.id, peer: peer.name, type: c.envelope.type, envelope: c.text, sessionKey: c.sessionKey,
            createdAt: now, expiresAt: now + o.ttlSeconds * 1000, nextAttemptAt: now,
          });
        }
      });
      o.onProgress?.(Math.min(o.count, done + batch));
    }
    return performance.now() - t0;
  } finally {
    await node.close();
  }
}
