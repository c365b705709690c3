/**
 * What `mesh serve` runs besides the HTTP receiver: the outbox worker (retries, dead-letter
 * auto-replay), the hand-off worker (inbox → local agent), the conversation scheduler (round and
 * conversation time-outs, escalation steps), the fleet prober (health probes, relay elections:
 * fleet/), the brain sync schedule (when configured) and housekeeping. `stop()` waits for in-flight
 * work, so SIGTERM loses nothing.
 */
import { startOutboxWorker } from '../delivery/outbox-worker.ts';
import { startHandOffWorker, type HandOffWorker } from './hand-off-worker.ts';
import { runHousekeeping } from './housekeeping.ts';
import { startBrainSyncSchedule } from './node-brain-sync.ts';
import type { MeshNode } from './mesh-node.ts';
import { conversationsOf } from './node-conversations.ts';
import { fleetOf } from './node-fleet.ts';
import { agentDeliveryOf } from './node-inbound.ts';
import { startTicker } from './ticker.ts';
import { followRemoteTasks } from './a2a/a2a-outbound.ts';

export const HOUSEKEEPING_INTERVAL_MS = 60_000;

export interface Background {
  /** Something new arrived (inbound message): look at the hand-off queue now. */
  kickHandOff(): void;
  /** Something was queued for sending (a relayed envelope to forward): look at the outbox now. */
  kickOutbox(): void;
  stop(): Promise<void>;
}

export function startBackground(node: MeshNode, opts: { workerMaxIntervalMs?: number } = {}): Background {
  const outbox = startOutboxWorker({
    service: node.delivery,
    clock: node.clock,
    logger: node.logger,
    minIntervalMs: 100,
    maxIntervalMs: opts.workerMaxIntervalMs ?? 1_000,
  });
  const handOff: HandOffWorker = startHandOffWorker(node, () => agentDeliveryOf(node));
  const conversations = conversationsOf(node);
  const lifecycle = startTicker({
    name: 'conversation scheduler',
    clock: node.clock,
    logger: node.logger,
    nextDueAt: () => conversations.nextDueAt(),
    run: () => conversations.tick(),
  });
  // A conversation request the outbox gives up on later stops its round waiting for that agent.
  const unsubscribe = node.events.subscribe((e) => {
    if (e.type !== 'message.dead_lettered' && e.type !== 'message.expired') return;
    const id = (e.data as { id?: unknown }).id;
    if (typeof id !== 'string') return;
    const reason = e.type === 'message.dead_lettered' ? String((e.data as { reason?: unknown }).reason ?? '') : null;
    if (conversations.requestUndeliverable(id, e.type === 'message.dead_lettered' ? 'dead_lettered' : 'expired', reason)) lifecycle.kick();
  });
  const brain = startBrainSyncSchedule(node);
  const fleet = fleetOf(node);
  const prober = startTicker({
    name: 'fleet prober',
    clock: node.clock,
    logger: node.logger,
    nextDueAt: () => fleet.nextDueAt(),
    run: () => fleet.tick(),
  });
  const housekeep = (): void => {
    try {
      const r = runHousekeeping(node);
      node.logger.debug('housekeeping', { ...r });
    } catch (e) {
      node.logger.error('housekeeping failed', { error: (e as Error).message });
    }
  };
  housekeep();
  const timer = setInterval(housekeep, HOUSEKEEPING_INTERVAL_MS);
  timer.unref();
  // Tasks this node's requests started on A2A peers: asked about until they finish (docs/a2a.md).
  let following: Promise<unknown> | null = null;
  const follow = (): void => {
    following ??= followRemoteTasks(node)
      .catch((e: unknown) => node.logger.error('a2a: following remote tasks failed', { error: (e as Error).name }))
      .finally(() => {
        following = null;
      });
  };
  const followTimer = setInterval(follow, node.config.a2a.followIntervalMs);
  followTimer.unref();
  return {
    kickHandOff: () => handOff.kick(),
    kickOutbox: () => outbox.kick(),
    stop: async () => {
      clearInterval(timer);
      clearInterval(followTimer);
      await following;
      unsubscribe();
      await Promise.all([outbox.stop(), handOff.stop(), lifecycle.stop(), prober.stop(), brain.stop()]);
      await fleet.settled();
    },
  };
}
