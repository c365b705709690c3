/**
 * Hands verified inbound messages to the local agent (handler command or OpenClaw gateway). The inbox
 * row is persisted before the sender got its 2xx; this worker leases pending rows, delivers them, and
 * marks them handed off. A crash between delivery and the mark re-delivers (at-least-once; the
 * envelope id is passed along so the agent side can de-duplicate — OpenClaw does, by idempotency key).
 * A handler's stdout becomes the response to a request, sent through the durable outbox.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseOrdered } from '../protocol/canonical-json.ts';
import type { Envelope } from '../protocol/envelope.ts';
import { getField, type JsonValue } from '../protocol/json.ts';
import { sessionKeyOf } from '../protocol/hook.ts';
import type { AgentDelivery } from '../ports/agent-delivery.ts';
import type { InboxMessage } from '../ports/store.ts';
import type { MeshNode } from './mesh-node.ts';
import { sendMessage } from './send-message.ts';

const BACKOFF_MS = [1_000, 5_000, 15_000, 60_000, 300_000];
export const HAND_OFF_MAX_ATTEMPTS = 20;
/**
 * A hand-off lease must outlast one delivery: the adapter's timeout plus this margin (the handler's
 * SIGTERM→SIGKILL grace, output drain, recording the outcome). It is also how long a message whose
 * hand-off was cut short by a crash waits before the next daemon retries it.
 */
export const HAND_OFF_LEASE_MARGIN_MS = 10_000;
const DEFAULT_ADAPTER_TIMEOUT_MS = 30_000;

/** Lease for one hand-off through the configured adapter. */
export function handOffLeaseMs(node: MeshNode): number {
  const c = node.config;
  const timeoutMs = c.inbound.handOff === 'handler' ? c.handler?.timeoutMs
    : c.inbound.handOff === 'openclaw' ? c.openclaw?.timeoutMs
    : undefined;
  return (timeoutMs ?? DEFAULT_ADAPTER_TIMEOUT_MS) + HAND_OFF_LEASE_MARGIN_MS;
}

export interface HandOffWorker {
  kick(): void;
  stop(): Promise<void>;
}

/** Sends the handler's output back to the requester as a response (correlationId, replyContext echoed). */
async function replyWith(node: MeshNode, row: InboxMessage, reply: string): Promise<void> {
  const ordered = parseOrdered(row.envelope);
  const replyContext = getField(ordered, 'replyContext') ?? null;
  await sendMessage(node, {
    target: row.from,
    type: 'response',
    body: reply,
    correlationId: row.id,
    conversationId: row.conversationId,
    replyContext: replyContext as JsonValue,
  });
}

async function deliverOne(node: MeshNode, adapter: AgentDelivery, row: InboxMessage): Promise<void> {
  const envelope = JSON.parse(row.envelope) as Envelope;
  const result = await adapter.deliver({
    envelope,
    envelopeText: row.envelope,
    body: row.body,
    sessionKey: sessionKeyOf(envelope.replyContext),
  });
  const now = node.clock.now();
  if (result.ok) {
    node.store.inbox.markHandedOff(row.id, now);
    node.events.emit({ type: 'message.handed_off', id: row.id, adapter: adapter.name });
    if (result.reply !== null && envelope.type === 'request') await replyWith(node, row, result.reply);
    return;
  }
  const attempts = row.deliveryAttempts + 1;
  const permanent = !result.transient || attempts >= HAND_OFF_MAX_ATTEMPTS;
  const delay = Math.max(result.retryAfterMs ?? 0, BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)] ?? 300_000);
  node.store.inbox.recordDeliveryFailure(row.id, result.error, now + delay, permanent);
  node.events.emit({ type: 'message.hand_off_failed', id: row.id, adapter: adapter.name, error: result.error, permanent });
  node.logger.warn('hand-off failed', { id: row.id, adapter: adapter.name, error: result.error, permanent, attempts });
}

/**
 * `adapterOf` is asked before each message: the configured hand-off can change while the daemon
 * runs (null: inbox only, nothing to hand off).
 */
export function startHandOffWorker(node: MeshNode, adapterOf: () => AgentDelivery | null, opts: { intervalMs?: number; leaseMs?: number } = {}): HandOffWorker {
  const intervalMs = opts.intervalMs ?? 250;
  const stopper = new AbortController();
  let wake = new AbortController();
  const loop = (async () => {
    while (!stopper.signal.aborted) {
      try {
        // One at a time: a message is leased only while it is being handed off, so a crash strands
        // at most that one (for one lease), never a batch that had not even been started.
        const adapter = adapterOf();
        if (adapter !== null) {
          const rows = node.store.inbox.claimForDelivery(node.clock.now(), 1, opts.leaseMs ?? handOffLeaseMs(node));
          for (const row of rows) await deliverOne(node, adapter, row);
          if (rows.length > 0) continue;
        }
      } catch (e) {
        node.logger.error('hand-off worker tick failed', { error: (e as Error).message });
      }
      await sleep(intervalMs, undefined, { signal: AbortSignal.any([stopper.signal, wake.signal]) }).catch(() => undefined);
      wake = new AbortController();
    }
  })();
  return {
    kick: () => wake.abort(),
    stop: async () => {
      stopper.abort();
      await loop;
    },
  };
}
