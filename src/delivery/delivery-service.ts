/**
 * Durable outbound delivery (ARCHITECTURE.md §2 "Outbound"). The outbox, retry schedule, circuit
 * breakers and dead letters all live in the store, so a CLI process can make the first attempt and
 * the daemon's worker the later ones, and a crash loses nothing: a leased message whose worker died
 * is attempted again when the lease runs out (at-least-once; receivers de-duplicate by id).
 */
import type { NewOutboxMessage, OutboxMessage } from '../ports/store.ts';
import { attemptById, attemptClaimed, routeOf, wasSent, type AttemptOptions, type AttemptOutcome } from './attempt.ts';
import { createCircuitBreaker, type CircuitBreaker } from './circuit-breaker.ts';
import { createCommitBatcher } from './commit-batch.ts';
import { errorName, type DeliveryContext, type DeliveryPorts } from './delivery-context.ts';
import { liveDeliveryOptions, type DeliveryOptions, type DeliveryOptionsSource } from './delivery-options.ts';
import {
  createAutoReplayer, replayDeadLetters, type AutoReplayResult, type ReplayFilter, type ReplayResult,
} from './dead-letter-replay.ts';
import { purgeExpiredOutbox } from './purge.ts';

export interface DeliveryDeps extends DeliveryPorts {
  /** Fixed options, or a function read at each use (live configuration). */
  options?: DeliveryOptionsSource;
}

export interface DeliveryService {
  /** One attempt at one outbox message that is already queued. */
  attempt(id: string): Promise<AttemptOutcome>;
  /**
   * What `mesh send` does: writes the message to the outbox, emits `message.queued` and leases it
   * in one transaction, then makes the first attempt. If the id is already in the outbox, nothing is
   * written and the existing message is attempted, as `attempt(id)` would. With `noRetry`, an
   * attempt that would leave the message queued dead-letters it (audited like any dead letter).
   */
  submit(message: NewOutboxMessage, opts?: AttemptOptions): Promise<AttemptOutcome>;
  /**
   * One worker tick: purge expired, claim due messages of peers that may be tried, attempt them.
   * Returns how many requests were really sent (circuit-held or purged messages do not count), so
   * the worker can go straight on while a backlog drains and sleep when nothing could be done.
   */
  runDue(): Promise<number>;
  /**
   * The worker's sliding window: purge expired, then claim due messages into the slots that are
   * free (`maxConcurrentPerPeer` per peer and `maxConcurrent` in all, counting the attempts this
   * service started earlier and that are still running) and start their attempts without waiting
   * for them. `onSettled` is called as each attempt ends (its slot is free again). Returns how many
   * attempts were started, and a promise of how many requests they really sent once all ended.
   */
  startDue(onSettled?: () => void): StartedAttempts;
  /** When the worker should run next (may be in the past), or null when there is nothing to do. */
  nextWakeAt(): number | null;
  /** `mesh dlq replay`: purge expired dead letters, then requeue the matching ones. */
  replayDeadLetters(filter?: ReplayFilter): ReplayResult;
  /** Probes peers that have dead letters and requeues them when the peer is healthy again. */
  autoReplayTick(): Promise<AutoReplayResult>;
  readonly breaker: CircuitBreaker;
  /** The options as of now. */
  readonly options: DeliveryOptions;
}

/** Delivered rows are pruned at most this often (it is a housekeeping DELETE, not urgent). */
const PRUNE_INTERVAL_MS = 60_000;
/**
 * Expired messages are swept at most this often by the worker (a write transaction of its own; the
 * window refills many times a second while a backlog drains). A claimed message past its TTL is
 * purged by its attempt anyway, so nothing expired is ever sent.
 */
const PURGE_INTERVAL_MS = 1_000;

export function createDeliveryService(deps: DeliveryDeps): DeliveryService {
  const currentOptions = liveDeliveryOptions(deps.options);
  const breaker = createCircuitBreaker({ store: deps.store, events: deps.events, options: () => currentOptions().breaker });
  const ctx: DeliveryContext = {
    ...deps,
    breaker,
    peerHolds: new Map(),
    commits: createCommitBatcher({ store: deps.store }),
    get options() {
      return currentOptions();
    },
  };
  const replayer = createAutoReplayer(ctx);
  let lastPruneAt = Number.NEGATIVE_INFINITY;
  let lastPurgeAt = Number.NEGATIVE_INFINITY;
  let rotation = 0;
  /** Attempts started by runDue/startDue and not ended yet, per peer and in all. */
  const inFlight = new Map<string, number>();
  let inFlightTotal = 0;
  const busy = (peer: string): number => inFlight.get(peer) ?? 0;

  /** How many messages to one peer may be in flight: more when they go several per request (direct only). */
  function windowOf(peer: string, gate: string): number {
    return gate === peer && ctx.batchingPeer?.(peer) === true ? ctx.options.maxConcurrentPerBatchingPeer : ctx.options.maxConcurrentPerPeer;
  }

  /** Each peer with pending messages: when it may next be attempted, and how many at once. */
  function peerSchedule(now: number): PeerSlot[] {
    for (const [peer, until] of ctx.peerHolds) if (until <= now) ctx.peerHolds.delete(peer);
    return ctx.store.outbox.duePerPeer().map(({ peer, nextDueAt }) => {
      // A peer that left the registry is sent nothing: its messages are dead-lettered (unknown_peer)
      // when due, not after its circuit's cool-down.
      if (ctx.peers.get(peer) === null) return { peer, at: nextDueAt, limit: ctx.options.maxConcurrentPerPeer };
      // A peer reached through the relay is paced by the relay's circuit and holds.
      const { gate } = routeOf(ctx, peer, null, now);
      const held = ctx.peerHolds.get(gate) ?? Number.NEGATIVE_INFINITY;
      const b = breaker.state(gate, now);
      if (b.state === 'closed') return { peer, at: Math.max(nextDueAt, held), limit: windowOf(peer, gate) };
      if (b.state === 'open') return { peer, at: Math.max(nextDueAt, held, b.openUntil ?? now), limit: 1 };
      // Half-open: one probe. If another process holds the probe slot, look again when the
      // breaker would tell a refused caller to.
      const probeBusy = b.probeUntil !== null && b.probeUntil > now;
      const recheck = probeBusy ? Math.min(b.probeUntil as number, now + ctx.options.breaker.probeRecheckMs) : now;
      return { peer, at: Math.max(nextDueAt, held, recheck), limit: 1 };
    });
  }

  /**
   * Claims due messages peer by peer: at most the peer's limit and `maxConcurrent` in all. Peers
   * whose circuit is open or who asked us to wait are not claimed at all (no lease, no audit row).
   * The starting peer rotates each tick so one peer's backlog cannot starve the others.
   */
  function claimBatch(now: number): OutboxMessage[] {
    const ready = peerSchedule(now).filter((p) => p.at <= now);
    const claimed: OutboxMessage[] = [];
    if (ready.length === 0) return claimed;
    const start = rotation++ % ready.length;
    const total = ctx.options.maxConcurrent - inFlightTotal;
    for (let i = 0; i < ready.length && claimed.length < total; i++) {
      const slot = ready[(start + i) % ready.length] as PeerSlot;
      const limit = Math.min(slot.limit - busy(slot.peer), total - claimed.length);
      if (limit > 0) claimed.push(...ctx.store.outbox.claimDue(now, limit, ctx.options.leaseMs, slot.peer));
    }
    return claimed;
  }

  /**
   * claimBatch in one commit, not fsynced: a lease only keeps other workers off a message while it
   * is attempted; one lost to a power loss leaves the message due again, which is where it was.
   */
  function claimBatchCommitted(now: number): OutboxMessage[] {
    return ctx.store.transaction(() => claimBatch(now), { durable: false });
  }

  /** Runs one claimed attempt in its slot; resolves to 1 when a request was really sent. */
  async function runInSlot(m: OutboxMessage, onSettled: (() => void) | undefined): Promise<number> {
    try {
      return wasSent(await attemptClaimed(ctx, m)) ? 1 : 0;
    } catch (e) {
      // The lease runs out and the message is attempted again: nothing is lost.
      ctx.logger.error('delivery attempt failed', { id: m.id, error: errorName(e) });
      return 0;
    } finally {
      const n = busy(m.peer) - 1;
      if (n > 0) inFlight.set(m.peer, n);
      else inFlight.delete(m.peer);
      inFlightTotal--;
      onSettled?.();
    }
  }

  function startDue(onSettled?: () => void): StartedAttempts {
    const now = ctx.clock.now();
    if (now - lastPurgeAt >= PURGE_INTERVAL_MS || now < lastPurgeAt) {
      lastPurgeAt = now;
      purgeExpiredOutbox(ctx, now);
    }
    if (now - lastPruneAt >= PRUNE_INTERVAL_MS) {
      lastPruneAt = now;
      ctx.store.outbox.pruneDelivered(now - ctx.options.deliveredRetentionMs);
    }
    const batch = claimBatchCommitted(now);
    for (const m of batch) inFlight.set(m.peer, busy(m.peer) + 1);
    inFlightTotal += batch.length;
    const runs = batch.map((m) => runInSlot(m, onSettled));
    return { started: batch.length, settled: Promise.all(runs).then((sent) => sent.reduce((a, b) => a + b, 0)) };
  }

  return {
    breaker,
    get options() {
      return currentOptions();
    },

    attempt: (id) => attemptById(ctx, id),

    async submit(m, opts = {}) {
      // Durable: the message is on disk before it is sent or reported queued. Concurrent submits of
      // this process (a send to several targets, an SDK caller sending in parallel) share the fsync.
      const claimed = await ctx.commits.run(() => {
        if (!ctx.store.outbox.enqueue(m)) return null;
        ctx.events.emit({ type: 'message.queued', id: m.id, peer: m.peer, messageType: m.type });
        return ctx.store.outbox.claim(m.id, ctx.clock.now(), ctx.options.leaseMs);
      }, true);
      return claimed === null ? attemptById(ctx, m.id, opts) : attemptClaimed(ctx, claimed, opts);
    },

    async runDue() {
      return startDue().settled;
    },

    startDue,

    nextWakeAt() {
      const now = ctx.clock.now();
      let next = replayer.nextProbeAt();
      for (const p of peerSchedule(now)) next = next === null ? p.at : Math.min(next, p.at);
      return next;
    },

    replayDeadLetters: (filter) => replayDeadLetters(ctx, filter),

    autoReplayTick: () => replayer.tick(),
  };
}

export interface StartedAttempts {
  /** Attempts started now. */
  started: number;
  /** How many of them really sent a request (see runDue), once all have ended. Never rejects. */
  settled: Promise<number>;
}

interface PeerSlot {
  peer: string;
  /** Earliest time a message of this peer may be claimed (due, circuit and holds considered). */
  at: number;
  /** Messages of this peer one tick may claim. */
  limit: number;
}
