/**
 * Tunables of the fleet service, with named defaults (units in the names). The node resolves the
 * parts that come from the registry (the hub, this node's role) and config/mesh.json `fleet`.
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

export interface FleetOptions {
  /** Time between two probe rounds (each round probes every peer), before jitter. */
  probeIntervalMs: number;
  /** Each round is scheduled at interval × (1 ± jitter), uniformly, so nodes do not probe in step. */
  probeJitter: number;
  /** Bound of one probe; a hung peer (SIGSTOP, a dead link that drops packets) costs at most this. */
  probeTimeoutMs: number;
  /** Consecutive failed probes after which a peer (the hub, the relay) counts as unreachable. */
  unreachableAfterFailures: number;
  /** Latency samples kept per peer for the median and p95. */
  latencySamples: number;
  /** The hub (config `fleet.hub`, else the first registry agent with role "hub"), or null: no failover. */
  hub: string | null;
  /** This node forwards relayed envelopes (it may be elected relay). */
  forwarding: boolean;
  /** After following an election, this node starts no election of its own for this long (damps flapping). */
  electionHoldMs: number;
  /** TTL of an election announcement in the outbox (seconds): peers that come back within it still learn it. */
  announceTtlSeconds: number;
}

export const DEFAULT_PROBE_INTERVAL_MS = 30_000;
export const DEFAULT_PROBE_JITTER = 0.2;
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
export const DEFAULT_UNREACHABLE_AFTER_FAILURES = 3;
export const DEFAULT_LATENCY_SAMPLES = 20;
export const DEFAULT_ANNOUNCE_TTL_SECONDS = 300;

export type FleetOptionsInput = Partial<FleetOptions>;

function check(ok: boolean, name: string, want: string): void {
  if (!ok) throw new MeshError(MeshErrorCode.InvalidArgument, `fleet option ${name} must be ${want}`, { details: { option: name } });
}

export function resolveFleetOptions(i: FleetOptionsInput = {}): FleetOptions {
  const probeIntervalMs = i.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
  const unreachableAfterFailures = i.unreachableAfterFailures ?? DEFAULT_UNREACHABLE_AFTER_FAILURES;
  const o: FleetOptions = {
    probeIntervalMs,
    probeJitter: i.probeJitter ?? DEFAULT_PROBE_JITTER,
    probeTimeoutMs: i.probeTimeoutMs ?? Math.min(DEFAULT_PROBE_TIMEOUT_MS, probeIntervalMs),
    unreachableAfterFailures,
    latencySamples: i.latencySamples ?? DEFAULT_LATENCY_SAMPLES,
    hub: i.hub ?? null,
    forwarding: i.forwarding ?? false,
    electionHoldMs: i.electionHoldMs ?? probeIntervalMs * unreachableAfterFailures,
    announceTtlSeconds: i.announceTtlSeconds ?? DEFAULT_ANNOUNCE_TTL_SECONDS,
  };
  check(Number.isFinite(o.probeIntervalMs) && o.probeIntervalMs > 0, 'probeIntervalMs', 'a positive number');
  check(Number.isFinite(o.probeJitter) && o.probeJitter >= 0 && o.probeJitter < 1, 'probeJitter', 'in [0, 1)');
  check(Number.isFinite(o.probeTimeoutMs) && o.probeTimeoutMs > 0, 'probeTimeoutMs', 'a positive number');
  check(Number.isInteger(o.unreachableAfterFailures) && o.unreachableAfterFailures >= 1, 'unreachableAfterFailures', 'a positive integer');
  check(Number.isInteger(o.latencySamples) && o.latencySamples >= 1, 'latencySamples', 'a positive integer');
  check(Number.isFinite(o.electionHoldMs) && o.electionHoldMs >= 0, 'electionHoldMs', 'a non-negative number');
  check(Number.isInteger(o.announceTtlSeconds) && o.announceTtlSeconds >= 60, 'announceTtlSeconds', 'an integer of at least 60');
  return o;
}
