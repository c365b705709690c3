/**
 * What one health probe (GET /health: never wakes the peer's agent) says about a peer: the next
 * health row and the evidence it is for the peer's circuit breaker (the delivery service's breaker:
 * there is one notion of health, not two).
 *
 *   2xx                           reachable; breaker success; latency sampled; features read
 *   4xx                           answered but not healthy (a proxy, a wrong path): unreachable, yet
 *                                 breaker success, since the host is up (as delivery/classify.ts says)
 *   no answer, 1xx/3xx, 5xx       unreachable; breaker failure
 *
 * A 2xx whose body names another agent than the peer (`agent` of a MESH-TS answer) is still
 * reachable, but advertises nothing: features are trusted only from the agent they belong to.
 */
import type { PeerHealth } from '../ports/store.ts';
import type { TransportResult } from '../ports/transport.ts';
import { parseHealthAnswer } from '../protocol/node-features.ts';
import { addSample } from './latency.ts';

export interface ProbeOutcome {
  health: PeerHealth;
  breaker: 'success' | 'failure';
}

export function probeOutcome(peer: string, prev: PeerHealth | null, r: TransportResult, now: number, maxSamples: number): ProbeOutcome {
  const status = r.status;
  const answered = status !== null;
  const ok = status !== null && status >= 200 && status <= 299;
  const upButUnhealthy = status !== null && status >= 400 && status <= 499;
  let features = prev?.features ?? null;
  let detail: string | null = ok ? null : (r.networkError ?? `http_${String(status)}`);
  if (ok) {
    const answer = parseHealthAnswer(r.bodySnippet);
    if (answer.agent !== null && answer.agent !== peer) {
      features = [];
      detail = 'agent_mismatch';
    } else {
      features = answer.features;
    }
  }
  const health: PeerHealth = {
    peer,
    reachable: ok,
    lastProbeAt: now,
    latencyMs: answered ? Math.round(r.elapsedMs * 10) / 10 : null,
    httpStatus: status,
    consecutiveFailures: ok ? 0 : (prev?.consecutiveFailures ?? 0) + 1,
    lastOkAt: ok ? now : (prev?.lastOkAt ?? null),
    detail,
    samples: ok ? addSample(prev?.samples ?? [], r.elapsedMs, maxSamples) : [...(prev?.samples ?? [])],
    features,
  };
  return { health, breaker: ok || upButUnhealthy ? 'success' : 'failure' };
}
