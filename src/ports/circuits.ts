/**
 * The per-peer circuit breaker as other services see it (the delivery service owns it and its state
 * lives in the store). The fleet prober feeds it: a failed probe is a failure, an answer a success,
 * and a probe of an open circuit waits for the cool-down like any request (acquire).
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitView {
  peer: string;
  state: CircuitState;
  consecutiveFailures: number;
  openUntil: number | null;
}

export type CircuitAcquire = { allowed: true; probe: boolean } | { allowed: false; retryAt: number };

export interface PeerCircuits {
  acquire(peer: string, now: number): CircuitAcquire;
  recordSuccess(peer: string, now: number): void;
  recordFailure(peer: string, now: number): void;
  state(peer: string, now: number): CircuitView;
}
