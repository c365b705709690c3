/**
 * Blocks until each message is delivered or dead-lettered (final), or the time runs out. While it
 * waits it also makes due attempts itself (the outbox lease keeps it from racing a running daemon),
 * so `--wait-delivery` works with or without `mesh serve`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MeshNode } from './mesh-node.ts';
import { deliveryState, type SendStatus } from './send-message.ts';

export const WAIT_POLL_MS = 250;

export async function waitForDelivery(
  node: MeshNode,
  ids: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
  onProgress?: (pending: number) => void,
): Promise<Map<string, SendStatus | 'unknown'>> {
  const deadline = node.clock.now() + timeoutMs;
  const states = new Map<string, SendStatus | 'unknown'>();
  for (;;) {
    let pending = 0;
    for (const id of ids) {
      let s = deliveryState(node, id);
      if (s === 'queued') {
        const row = node.store.outbox.get(id);
        if (row && row.nextAttemptAt <= node.clock.now() && row.leaseUntil <= node.clock.now()) {
          await node.delivery.attempt(id);
          s = deliveryState(node, id);
        }
      }
      states.set(id, s);
      if (s === 'queued') pending++;
    }
    onProgress?.(pending);
    if (pending === 0 || node.clock.now() >= deadline || signal.aborted) return states;
    await sleep(WAIT_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
