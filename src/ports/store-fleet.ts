/**
 * The fleet part of the Store port: circuit breakers, peer health from the probes, and small
 * key/value state (routing table, counters).
 * Same conventions as store.ts: times are epoch milliseconds, methods are synchronous and atomic on
 * their own, "not found" is null/false, and callers group calls with `Store.transaction`.
 */
import type { JsonValue } from '../protocol/json.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerRecord {
  peer: string;
  state: BreakerState;
  consecutiveFailures: number;
  openedAt: number | null;
  /** When open: the time the cool-down ends. */
  openUntil: number | null;
  /** When half-open: until when the single probe holds the slot. */
  probeUntil: number | null;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
  updatedAt: number;
}

export interface BreakerRepo {
  get(peer: string): BreakerRecord | null;
  put(record: BreakerRecord): void;
  list(): BreakerRecord[];
}


export interface PeerHealth {
  peer: string;
  reachable: boolean;
  lastProbeAt: number;
  /** Latency of the last probe that got an answer, ms. */
  latencyMs: number | null;
  httpStatus: number | null;
  consecutiveFailures: number;
  lastOkAt: number | null;
  detail: string | null;
  /** Latencies (ms) of the most recent reachable probes, oldest first (bounded by the prober). */
  samples: number[];
  /**
   * What the peer's health answer advertised the last time it was reachable (`features` of a MESH-TS
   * node's GET /health, e.g. "relay/1"); [] for an answer without any (an OpenClaw gateway, a bash
   * node); null when it was never reachable.
   */
  features: string[] | null;
}

export interface PeerHealthRepo {
  put(h: PeerHealth): void;
  get(peer: string): PeerHealth | null;
  list(): PeerHealth[];
}

/** Small key/value state: routing table (hub, relay, lastElection), queue counters, etc. */
export interface KeyValueRepo {
  get(key: string): JsonValue | null;
  set(key: string, value: JsonValue, now: number): void;
  delete(key: string): boolean;
}
