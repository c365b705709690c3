/**
 * Dead-letter replay: by hand (`mesh dlq replay`) and automatically when a peer recovers.
 * A replay requeues the very same id and bytes; receivers de-duplicate by id. Expired dead letters
 * are purged first and never replayed.
 *
 * Automatic replay probes the peer's health endpoint through the circuit breaker: the probe is
 * skipped while the circuit is open, and after the cool-down the health probe *is* the half-open
 * probe. A 2xx closes the circuit and requeues the peer's replayable letters (see isAutoReplayable);
 * a network error or 5xx counts as a breaker failure, exactly as a failed send would, because it is
 * the same evidence that the peer is down; a 4xx proves the peer is up but not that it is healthy,
 * so it resets the failure count without replaying.
 */
import type { DeadLetter } from '../ports/store.ts';
import type { TransportResult } from '../ports/transport.ts';
import { classifyResult, isAutoReplayable } from './classify.ts';
import { errorName, report, type DeliveryContext } from './delivery-context.ts';
import { purgeExpiredDeadLetters } from './purge.ts';

export interface ReplayFilter {
  peer?: string;
  id?: string;
}

export interface ReplayResult {
  replayed: number;
  /** Matching dead letters that were past their TTL and purged instead. */
  expired: number;
}

export interface AutoReplayResult {
  /** Peers whose health endpoint was probed. */
  probed: number;
  replayed: number;
  expired: number;
}

function requeue(ctx: DeliveryContext, letters: readonly DeadLetter[], now: number, how: string): number {
  let n = 0;
  for (const l of letters) {
    if (l.expiresAt <= now || !ctx.store.deadLetters.requeue(l.id, now)) continue;
    n++;
    report(ctx, l, 'replayed', now, `${how}; was ${l.reason}`, { type: 'message.replayed', id: l.id, peer: l.peer });
  }
  return n;
}

const matches = (f: ReplayFilter) => (l: DeadLetter): boolean =>
  (f.peer === undefined || l.peer === f.peer) && (f.id === undefined || l.id === f.id);

export function replayDeadLetters(ctx: DeliveryContext, filter: ReplayFilter = {}): ReplayResult {
  const now = ctx.clock.now();
  const expired = purgeExpiredDeadLetters(ctx, now).filter(matches(filter)).length;
  let letters: DeadLetter[];
  if (filter.id !== undefined) {
    const l = ctx.store.deadLetters.get(filter.id);
    letters = l !== null && matches(filter)(l) ? [l] : [];
  } else {
    letters = ctx.store.deadLetters.list(filter.peer === undefined ? {} : { peer: filter.peer });
  }
  return { replayed: requeue(ctx, letters, now, 'manual'), expired };
}

export interface AutoReplayer {
  tick(): Promise<AutoReplayResult>;
  /** Earliest time a probe may be due, or null when there are no dead letters. */
  nextProbeAt(): number | null;
}

export function createAutoReplayer(ctx: DeliveryContext): AutoReplayer {
  /** Last probe (or decision not to probe) per peer; per process, which is fine: only the daemon runs this. */
  const lastCheck = new Map<string, number>();

  async function probe(baseUrl: string): Promise<TransportResult> {
    try {
      return await ctx.transport.probe(baseUrl, ctx.options.probeTimeoutMs);
    } catch (e) {
      ctx.logger.warn('transport probe threw instead of reporting', { error: errorName(e) });
      return { status: null, networkError: 'transport_error', retryAfterMs: null, bodySnippet: '', elapsedMs: 0 };
    }
  }

  async function tryPeer(peerName: string, now: number): Promise<{ probed: boolean; replayed: number }> {
    // A peer that left the registry is looked at again as soon as it is back (mesh join): its
    // unknown_peer letters replay then, not one probe interval later.
    const peer = ctx.peers.get(peerName);
    if (peer === null) return { probed: false, replayed: 0 };
    const last = lastCheck.get(peerName);
    if (last !== undefined && now - last < ctx.options.autoReplayProbeIntervalMs) return { probed: false, replayed: 0 };
    // Whatever we decide below, look at this peer again only after the interval.
    lastCheck.set(peerName, now);
    if (!ctx.store.deadLetters.list({ peer: peerName }).some((l) => isAutoReplayable(l.reason))) {
      return { probed: false, replayed: 0 };
    }
    if (!ctx.breaker.acquire(peerName, now).allowed) return { probed: false, replayed: 0 };

    const c = classifyResult(await probe(peer.baseUrl));
    const done = ctx.clock.now();
    if (c.breaker === 'failure') {
      ctx.breaker.recordFailure(peerName, done);
      ctx.logger.debug('auto-replay probe failed', { peer: peerName, error: c.reason });
      return { probed: true, replayed: 0 };
    }
    ctx.breaker.recordSuccess(peerName, done);
    if (c.verdict !== 'delivered') return { probed: true, replayed: 0 };
    // Re-read: letters may have been replayed or removed by hand while the probe was in flight.
    const letters = ctx.store.deadLetters.list({ peer: peerName }).filter((l) => isAutoReplayable(l.reason));
    const replayed = requeue(ctx, letters, done, 'auto');
    if (replayed > 0) ctx.logger.info('peer recovered, dead letters requeued', { peer: peerName, replayed });
    return { probed: true, replayed };
  }

  return {
    async tick() {
      const now = ctx.clock.now();
      const expired = purgeExpiredDeadLetters(ctx, now).length;
      const peers = Object.keys(ctx.store.deadLetters.counts());
      for (const p of lastCheck.keys()) if (!peers.includes(p)) lastCheck.delete(p);
      const results = await Promise.all(peers.map((p) => tryPeer(p, now)));
      return {
        probed: results.filter((r) => r.probed).length,
        replayed: results.reduce((n, r) => n + r.replayed, 0),
        expired,
      };
    },

    nextProbeAt() {
      const now = ctx.clock.now();
      let next: number | null = null;
      const interval = ctx.options.autoReplayProbeIntervalMs;
      for (const peer of Object.keys(ctx.store.deadLetters.counts())) {
        // Not in the registry: nothing to probe until it is (the worker's regular tick notices).
        if (ctx.peers.get(peer) === null) continue;
        const last = lastCheck.get(peer);
        let at = last === undefined ? now : last + interval;
        const b = ctx.breaker.state(peer, now);
        if (b.state === 'open' && b.openUntil !== null) at = Math.max(at, b.openUntil);
        if (next === null || at < next) next = at;
      }
      return next;
    },
  };
}
