/**
 * One probe round: GET /health of every peer at once (never a hook: the peer's agent is not woken),
 * each bounded by probeTimeoutMs, so a hung peer (SIGSTOP) costs one time-out, not a stalled round.
 * Each result is recorded (health row + `peer.health` event in one transaction) and fed to the
 * peer's circuit breaker, exactly as dead-letter auto-replay does: a daemon round asks the breaker
 * first (an open circuit is not probed during its cool-down, and after it the probe IS the half-open
 * probe); an operator's `mesh discover probe` probes every peer now (`all`).
 */
import type { Clock } from '../ports/clock.ts';
import type { PeerCircuits } from '../ports/circuits.ts';
import type { EventSink } from '../ports/events.ts';
import type { Logger } from '../ports/logger.ts';
import type { PeerConfig } from '../ports/peers.ts';
import type { PeerHealth, Store } from '../ports/store.ts';
import type { Transport, TransportResult } from '../ports/transport.ts';
import { latencyStats } from './latency.ts';
import { probeOutcome } from './probe-outcome.ts';

export interface ProbeDeps {
  store: Store;
  transport: Transport;
  circuits: PeerCircuits;
  clock: Clock;
  events: EventSink;
  logger: Logger;
}

export interface ProbeReport {
  peer: string;
  /** The recorded health, or null when the peer was not probed (its circuit is open: `skipped`). */
  health: PeerHealth | null;
  skipped?: 'circuit_open';
  /** It was unreachable (or never probed) before this probe and is reachable now. */
  cameUp: boolean;
}

async function probeOnce(d: ProbeDeps, baseUrl: string, timeoutMs: number): Promise<TransportResult> {
  try {
    return await d.transport.probe(baseUrl, timeoutMs);
  } catch (e) {
    d.logger.warn('fleet: transport probe threw instead of reporting', { error: (e as Error).name });
    return { status: null, networkError: 'transport_error', retryAfterMs: null, bodySnippet: '', elapsedMs: 0 };
  }
}

async function probePeer(d: ProbeDeps, p: PeerConfig, o: { all: boolean; timeoutMs: number; samples: number }): Promise<ProbeReport> {
  if (!o.all && !d.circuits.acquire(p.name, d.clock.now()).allowed) {
    return { peer: p.name, health: null, skipped: 'circuit_open', cameUp: false };
  }
  const result = await probeOnce(d, p.baseUrl, o.timeoutMs);
  const done = d.clock.now();
  const { health, breaker, cameUp } = d.store.transaction(() => {
    const prev = d.store.peers.get(p.name);
    const out = probeOutcome(p.name, prev, result, done, o.samples);
    d.store.peers.put(out.health);
    const stats = latencyStats(out.health.samples);
    d.events.emit({
      type: 'peer.health', peer: p.name, reachable: out.health.reachable, latencyMs: out.health.latencyMs,
      medianMs: stats.medianMs, p95Ms: stats.p95Ms, consecutiveFailures: out.health.consecutiveFailures,
    });
    return { ...out, cameUp: out.health.reachable && prev?.reachable !== true };
  });
  if (breaker === 'success') d.circuits.recordSuccess(p.name, done);
  else d.circuits.recordFailure(p.name, done);
  if (!health.reachable) d.logger.debug('fleet: probe failed', { peer: p.name, detail: health.detail, failures: health.consecutiveFailures });
  return { peer: p.name, health, cameUp };
}

export async function probeRound(d: ProbeDeps, peers: readonly PeerConfig[], o: { all: boolean; timeoutMs: number; samples: number }): Promise<ProbeReport[]> {
  return Promise.all(peers.map((p) => probePeer(d, p, o)));
}
