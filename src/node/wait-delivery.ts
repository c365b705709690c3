/**
 * Blocks until each message is delivered or dead-lettered (final), or the time runs out. While it
 * waits it also makes due attempts itself (the outbox lease keeps it from racing a running daemon),
 * so `--wait-delivery` works with or without `mesh serve`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MeshNode } from './mesh-node.ts';
import type { SendStatus } from './send-message.ts';

export const WAIT_POLL_MS = 250;

/** Where a message stands, with what is known about its last attempt (for the final report line). */
export interface DeliveryView {
  status: Exclude<SendStatus, 'dry_run' | 'error'>;
  /** Attempts made so far. */
  attempts: number;
  /** HTTP status of the last attempt, when this process made it and the peer answered. */
  httpStatus?: number;
  /** Error of the last failed attempt (`http_503`, `timeout`…). */
  error?: string;
  /** queued: why it waits; dead_lettered: the dead-letter reason. */
  reason?: string;
  nextAttemptAt?: number;
}

/**
 * The store's view of one message. A pending row that vanished was purged (past its TTL, or by `mesh
 * queue purge`): it will not be sent, which the delivery service reports as `expired` too.
 */
export function deliveryView(node: MeshNode, id: string): DeliveryView {
  const row = node.store.outbox.get(id);
  // A failed attempt increments `attempts`; the delivering one does not.
  if (row?.state === 'delivered') return { status: 'delivered', attempts: row.attempts + 1 };
  if (row) return { status: 'queued', attempts: row.attempts, nextAttemptAt: row.nextAttemptAt, ...(row.lastError === null ? {} : { error: row.lastError }) };
  const letter = node.store.deadLetters.get(id);
  if (letter) return { status: 'dead_lettered', attempts: letter.attempts, reason: letter.reason, ...(letter.lastError === null ? {} : { error: letter.lastError }) };
  return { status: 'expired', attempts: 0, reason: 'expired' };
}

export async function waitForDelivery(
  node: MeshNode,
  ids: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Map<string, DeliveryView>> {
  const deadline = node.clock.now() + timeoutMs;
  const views = new Map<string, DeliveryView>();
  for (;;) {
    let pending = 0;
    for (const id of ids) {
      if (views.get(id)?.status === 'delivered' || views.get(id)?.status === 'dead_lettered') continue;
      let view = deliveryView(node, id);
      if (view.status === 'queued') {
        const row = node.store.outbox.get(id);
        if (row && row.nextAttemptAt <= node.clock.now() && row.leaseUntil <= node.clock.now()) {
          const outcome = await node.delivery.attempt(id);
          // Our own attempt knows the HTTP status; a 'busy' outcome (someone else holds it) does not count.
          view = outcome.status === 'busy' ? deliveryView(node, id) : { ...outcome, status: outcome.status };
        }
      }
      views.set(id, view);
      if (view.status === 'queued') pending++;
    }
    if (pending === 0 || node.clock.now() >= deadline || signal.aborted) return views;
    await sleep(WAIT_POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
