/**
 * What `mesh serve` runs besides the HTTP receiver: the outbox worker (retries, dead-letter
 * auto-replay), the hand-off worker (inbox → local agent), the conversation scheduler (round and
 * conversation time-outs, escalation steps), the fleet prober (health probes, relay elections:
 * fleet/) and housekeeping. `stop()` waits for in-flight work, so SIGTERM loses nothing.
 */
import { startOutboxWorker } from '../delivery/outbox-worker.ts';
import { startHandOffWorker, type HandOffWorker } from './hand-off-worker.ts';
import { runHousekeeping } from './housekeeping.ts';
import type { MeshNode } from './mesh-node.ts';
import { conversationsOf } from './node-conversations.ts';
import { fleetOf } from './node-fleet.ts';
import { agentDeliveryOf } from './node-inbound.ts';
import { startTicker } from './ticker.ts';

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
  return {
    kickHandOff: () => handOff.kick(),
    kickOutbox: () => outbox.kick(),
    stop: async () => {
      clearInterval(timer);
      await Promise.all([outbox.stop(), handOff.stop(), lifecycle.stop(), prober.stop()]);
      await fleet.settled();
    },
  };
}
