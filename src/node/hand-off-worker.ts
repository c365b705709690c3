/**
 * Hands verified inbound messages to the local agent (handler command or OpenClaw gateway). The inbox
 * row is persisted before the sender got its 2xx; this worker leases pending rows, delivers them, and
 * marks them handed off. A crash between delivery and the mark re-delivers (at-least-once; the
 * envelope id is passed along so the agent side can de-duplicate — OpenClaw does, by idempotency key).
 * A handler's stdout becomes the response to a request, sent through the durable outbox.
 * Adapters get the stored envelope re-read through the envelope schema (`handOffOf`): one normalised
 * shape whatever the sender left out, so no accepted message can make an adapter trip over a field.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { handOffOf } from '../protocol/agent-view.ts';
import { isMeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { AgentDelivery, HandOffAlert, HandOffResult } from '../ports/agent-delivery.ts';
import type { InboxMessage } from '../ports/store.ts';
import { a2aHandedOff, a2aHandOffFailed } from './a2a/a2a-tasks.ts';
import { triageAlert } from './alert-triage.ts';
import { handOffAudit } from './hand-off-audit.ts';
import type { MeshNode } from './mesh-node.ts';
import { receivedAttachments } from './received-attachments.ts';
import { replyToMessage } from './reply.ts';

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

/**
 * An exception out of the hand-off is a failed attempt like any other. A stored envelope the schema
 * no longer accepts cannot get better by waiting (permanent); anything else may be a passing fault
 * (transient). Foreign errors are named by class only: their messages might quote message data.
 */
function failureOf(e: unknown): HandOffResult & { ok: false } {
  if (isMeshError(e) && (e.code === MeshErrorCode.InvalidEnvelope || e.code === MeshErrorCode.InvalidJson)) {
    return { ok: false, transient: false, error: `stored envelope cannot be handed off: ${e.message}`, retryAfterMs: null };
  }
  const what = isMeshError(e) ? e.code : e instanceof Error ? e.name : typeof e;
  return { ok: false, transient: true, error: `unexpected error during hand-off (${what})`, retryAfterMs: null };
}

/**
 * The handler's stdout answers a request: a response to the sender's registry address (the
 * request's replyTo is not needed, exactly like `mesh reply`), through the durable outbox. The
 * message itself was handed off, so a failure here is reported, never retried as a hand-off.
 */
async function answer(node: MeshNode, row: InboxMessage, reply: string): Promise<void> {
  let error: string | null;
  try {
    const results = await replyToMessage(node, row, reply);
    error = results.find((r) => r.status === 'error')?.reason ?? null;
  } catch (e) {
    error = isMeshError(e) ? e.code : e instanceof Error ? e.name : typeof e;
  }
  if (error === null) return;
  node.logger.warn('hand-off: the handler answer could not be sent', { id: row.id, to: row.from, error });
  node.audit.record(handOffAudit(node, row, 'reply_failed', `handler answer not sent: ${error}`));
}

async function attempt(adapter: AgentDelivery, row: InboxMessage, alert: HandOffAlert | null): Promise<{ result: HandOffResult; type: string | null }> {
  try {
    const h = handOffOf(row);
    // Attachments that travelled inside the ciphertext are stored beside the body, decrypted.
    if (row.sealedAttachments !== null) h.attachments = receivedAttachments(row);
    if (alert !== null) h.alert = alert;
    return { result: await adapter.deliver(h), type: h.envelope.type };
  } catch (e) {
    return { result: failureOf(e), type: null };
  }
}

/**
 * Hands one leased row to the adapter and records the outcome (an alert de-duplicated to `suppressed`
 * is settled without it: alert-triage.ts). Whatever happens while handing off
 * (a failure the adapter reports, or an exception from anywhere in the hand-off) ends in either
 * `markHandedOff` or a counted, backed-off attempt; after HAND_OFF_MAX_ATTEMPTS the row is failed
 * for good, with an event and an audit entry (`mesh inbox` shows it, `mesh inbox retry` revives it).
 */
async function deliverOne(node: MeshNode, adapter: AgentDelivery, row: InboxMessage): Promise<void> {
  // fleet.dedupAlerts: a duplicate alert is settled (handed off, suppressed) without the agent.
  const alert = triageAlert(node, row);
  if (alert?.decision === 'suppressed') return;
  const { result, type } = await attempt(adapter, row, alert);
  const now = node.clock.now();
  if (result.ok) {
    node.store.transaction(() => {
      node.store.inbox.markHandedOff(row.id, now);
      node.events.emit({ type: 'message.handed_off', id: row.id, adapter: adapter.name });
      a2aHandedOff(node, row.id);
    });
    if (result.reply !== null && type === 'request') await answer(node, row, result.reply);
    return;
  }
  const attempts = row.deliveryAttempts + 1;
  const permanent = !result.transient || attempts >= HAND_OFF_MAX_ATTEMPTS;
  const delay = Math.max(result.retryAfterMs ?? 0, BACKOFF_MS[Math.min(attempts - 1, BACKOFF_MS.length - 1)] ?? 300_000);
  node.store.transaction(() => {
    node.store.inbox.recordDeliveryFailure(row.id, result.error, now + delay, permanent);
    node.events.emit({ type: 'message.hand_off_failed', id: row.id, adapter: adapter.name, error: result.error, permanent });
    if (permanent) {
      node.audit.record(handOffAudit(node, row, 'hand_off_failed', `${adapter.name}, attempt ${attempts}: ${result.error}`));
      a2aHandOffFailed(node, row.id, result.error);
    }
  });
  node.logger.warn('hand-off failed', { id: row.id, adapter: adapter.name, error: result.error, permanent, attempts });
}

/** Hands off the next due message, if any; returns how many were handled (0 or 1). */
export async function handOffDue(node: MeshNode, adapter: AgentDelivery, leaseMs: number): Promise<number> {
  // One at a time: a message is leased only while it is being handed off, so a crash strands
  // at most that one (for one lease), never a batch that had not even been started.
  const rows = node.store.inbox.claimForDelivery(node.clock.now(), 1, leaseMs);
  for (const row of rows) await deliverOne(node, adapter, row);
  return rows.length;
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
        const adapter = adapterOf();
        if (adapter !== null && (await handOffDue(node, adapter, opts.leaseMs ?? handOffLeaseMs(node))) > 0) continue;
      } catch (e) {
        // Only the store itself can get here (claiming, or recording an outcome): the row keeps
        // its lease and is tried again when the lease ends.
        node.logger.error('hand-off worker tick failed', { error: isMeshError(e) ? `${e.code}: ${e.message}` : (e as Error).name });
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
