/**
 * Durable outbound delivery (ARCHITECTURE.md §2 "Outbound"). The outbox, retry schedule, circuit
 * breakers and dead letters all live in the store, so a CLI process can make the first attempt and
 * the daemon's worker the later ones, and a crash loses nothing: a leased message whose worker died
 * is attempted again when the lease runs out (at-least-once; receivers de-duplicate by id).
 */
import type { Clock } from '../ports/clock.ts';
import type { AuditSink, EventSink } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { PeerDirectory } from '../ports/peers.ts';
import type { OutboxMessage, Store } from '../ports/store.ts';
import type { Transport } from '../ports/transport.ts';
import { attemptById, attemptClaimed, type AttemptOutcome } from './attempt.ts';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.ts';
import { errorName, type DeliveryContext } from './delivery-context.ts';
import { resolveDeliveryOptions, type DeliveryOptions, type DeliveryOptionsInput } from './delivery-options.ts';
import {
  createAutoReplayer, replayDeadLetters, type AutoReplayResult, type ReplayFilter, type ReplayResult,
} from './dead-letter-replay.ts';
import { purgeExpiredOutbox } from './purge.ts';

export interface DeliveryDeps {
  store: Store;
  transport: Transport;
  peers: PeerDirectory;
  clock: Clock;
  events: EventSink;
  audit: AuditSink;
  logger: Logger;
  options?: DeliveryOptionsInput;
}

export interface DeliveryService {
  /** One attempt at one outbox message (what `mesh send` does right after enqueueing). */
  attempt(id: string): Promise<AttemptOutcome>;
  /** One worker tick: purge expired, claim due messages, attempt them; returns how many were attempted. */
  runDue(): Promise<number>;
  /** When the worker should run next (may be in the past), or null when there is nothing to do. */
  nextWakeAt(): number | null;
  /** `mesh dlq replay`: purge expired dead letters, then requeue the matching ones. */
  replayDeadLetters(filter?: ReplayFilter): ReplayResult;
  /** Probes peers that have dead letters and requeues them when the peer is healthy again. */
  autoReplayTick(): Promise<AutoReplayResult>;
  readonly breaker: CircuitBreaker;
  readonly options: DeliveryOptions;
}

/** Delivered rows are pruned at most this often (it is a housekeeping DELETE, not urgent). */
const PRUNE_INTERVAL_MS = 60_000;

export function createDeliveryService(deps: DeliveryDeps): DeliveryService {
  const options = resolveDeliveryOptions(deps.options);
  const breaker = createCircuitBreaker({ store: deps.store, events: deps.events, options: options.breaker });
  const ctx: DeliveryContext = { ...deps, options, breaker };
  const replayer = createAutoReplayer(ctx);
  let lastPruneAt = Number.NEGATIVE_INFINITY;
  let rotation = 0;

  /**
   * Claims due messages peer by peer: at most `maxConcurrentPerPeer` per peer and `maxConcurrent`
   * in all. The starting peer rotates each tick so one peer's backlog cannot starve the others.
   */
  function claimBatch(now: number): OutboxMessage[] {
    const peers = Object.keys(ctx.store.outbox.pendingCounts()).sort();
    const claimed: OutboxMessage[] = [];
    if (peers.length === 0) return claimed;
    const start = rotation++ % peers.length;
    for (let i = 0; i < peers.length && claimed.length < options.maxConcurrent; i++) {
      const peer = peers[(start + i) % peers.length] as string;
      const limit = Math.min(options.maxConcurrentPerPeer, options.maxConcurrent - claimed.length);
      claimed.push(...ctx.store.outbox.claimDue(now, limit, options.leaseMs, peer));
    }
    return claimed;
  }

  return {
    breaker,
    options,

    attempt: (id) => attemptById(ctx, id),

    async runDue() {
      const now = ctx.clock.now();
      purgeExpiredOutbox(ctx, now);
      if (now - lastPruneAt >= PRUNE_INTERVAL_MS) {
        lastPruneAt = now;
        ctx.store.outbox.pruneDelivered(now - options.deliveredRetentionMs);
      }
      const batch = claimBatch(now);
      const results = await Promise.allSettled(batch.map((m) => attemptClaimed(ctx, m)));
      for (const [i, r] of results.entries()) {
        if (r.status === 'rejected') {
          // The lease runs out and the message is attempted again: nothing is lost.
          ctx.logger.error('delivery attempt failed', { id: batch[i]?.id, error: errorName(r.reason) });
        }
      }
      return batch.length;
    },

    nextWakeAt() {
      const due = ctx.store.outbox.nextDueAt();
      const probe = replayer.nextProbeAt();
      if (due === null) return probe;
      return probe === null ? due : Math.min(due, probe);
    },

    replayDeadLetters: (filter) => replayDeadLetters(ctx, filter),

    autoReplayTick: () => replayer.tick(),
  };
}
