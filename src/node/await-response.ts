/**
 * Waits for the response to a request: an inbox message whose correlationId is the request id,
 * delivered to this node's `mesh serve`. While waiting it keeps the request moving (due retries).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InboxMessage } from '../ports/store.ts';
import type { MeshNode } from './mesh-node.ts';
import { deliveryState } from './send-message.ts';

export const RESPONSE_POLL_MS = 200;

export async function awaitResponse(
  node: MeshNode,
  requestId: string,
  timeoutMs: number,
  signal: AbortSignal,
  onProgress?: (elapsedMs: number, state: string) => void,
): Promise<InboxMessage | null> {
  const start = node.clock.now();
  for (;;) {
    const found = node.store.inbox.findByCorrelation(requestId);
    if (found.length > 0) return found[0] ?? null;
    const state = deliveryState(node, requestId);
    if (state === 'queued') {
      const row = node.store.outbox.get(requestId);
      if (row && row.nextAttemptAt <= node.clock.now() && row.leaseUntil <= node.clock.now()) await node.delivery.attempt(requestId);
    }
    const elapsed = node.clock.now() - start;
    onProgress?.(elapsed, state);
    if (elapsed >= timeoutMs || signal.aborted || state === 'dead_lettered') return null;
    await sleep(RESPONSE_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
