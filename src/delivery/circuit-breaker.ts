/**
 * Per-peer circuit breaker whose state lives in the store (BreakerRepo), so every CLI process and
 * the daemon see and update the same breaker. Every read-modify-write runs in `store.transaction`
 * (BEGIN IMMEDIATE in SQLite), which is what makes "exactly one probe" hold across processes.
 *
 *   closed ──(threshold consecutive counted failures)──▶ open(until now + coolDown)
 *   open ──(acquire after the cool-down)──▶ half-open, the acquirer holds the probe slot
 *   half-open ──(probe success)──▶ closed, failures 0
 *   half-open ──(probe failure)──▶ open for a new cool-down
 *
 * The probe slot is a lease (`probeUntil`): a prober that crashed never reports, so after the lease
 * the next acquirer becomes the probe. Any success (even from a request that started before the
 * circuit opened) closes the circuit: it proves the peer is up. Events are emitted after commit.
 */
import type { PeerCircuits } from '../ports/circuits.ts';
import type { EventSink } from '../ports/events.ts';
import type { BreakerRecord, BreakerState, Store } from '../ports/store.ts';
import type { MeshEvent } from '../protocol/events.ts';
import { derivedOptions, type OptionsSource } from '../protocol/derived-options.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';

export interface BreakerOptions {
  /** Consecutive counted failures that open a closed circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses traffic before it lets one probe through. */
  coolDownMs: number;
  /** How long the single half-open probe holds its slot; must exceed one attempt's duration. */
  probeLeaseMs: number;
  /**
   * While another caller holds the probe slot, refused callers are told to come back after this
   * long (or when the slot's lease ends, if sooner), so traffic resumes soon after a good probe.
   */
  probeRecheckMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  failureThreshold: 3,
  coolDownMs: 60_000,
  probeLeaseMs: 60_000,
  probeRecheckMs: 5_000,
});

/** How stale a closed circuit's lastSuccessAt may get before a success writes it again. */
const SUCCESS_REFRESH_MS = 1_000;

export type AcquireResult = { allowed: true; probe: boolean } | { allowed: false; retryAt: number };

/** The breaker as seen at `now`: an open circuit whose cool-down has passed reads as half-open. */
export interface BreakerView {
  peer: string;
  state: BreakerState;
  consecutiveFailures: number;
  openUntil: number | null;
  probeUntil: number | null;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
}

export interface CircuitBreaker extends PeerCircuits {
  acquire(peer: string, now: number): AcquireResult;
  recordSuccess(peer: string, now: number): void;
  recordFailure(peer: string, now: number): void;
  state(peer: string, now: number): BreakerView;
  list(now: number): BreakerView[];
}

export function validateBreakerOptions(o: BreakerOptions): BreakerOptions {
  const ok = Number.isInteger(o.failureThreshold) && o.failureThreshold >= 1 &&
    Number.isFinite(o.coolDownMs) && o.coolDownMs >= 0 &&
    Number.isFinite(o.probeLeaseMs) && o.probeLeaseMs > 0 &&
    Number.isFinite(o.probeRecheckMs) && o.probeRecheckMs > 0;
  if (!ok) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'invalid circuit breaker options', {
      details: {
        failureThreshold: o.failureThreshold, coolDownMs: o.coolDownMs, probeLeaseMs: o.probeLeaseMs, probeRecheckMs: o.probeRecheckMs,
      },
    });
  }
  return { ...o };
}

function closedRecord(peer: string, now: number): BreakerRecord {
  return {
    peer, state: 'closed', consecutiveFailures: 0, openedAt: null, openUntil: null, probeUntil: null,
    lastFailureAt: null, lastSuccessAt: null, updatedAt: now,
  };
}

function view(r: BreakerRecord, now: number): BreakerView {
  const coolDownOver = r.state === 'open' && (r.openUntil === null || now >= r.openUntil);
  return {
    peer: r.peer,
    state: coolDownOver ? 'half-open' : r.state,
    consecutiveFailures: r.consecutiveFailures,
    openUntil: r.openUntil,
    probeUntil: r.probeUntil,
    lastFailureAt: r.lastFailureAt,
    lastSuccessAt: r.lastSuccessAt,
  };
}

export function createCircuitBreaker(deps: {
  store: Store;
  events: EventSink;
  /** Fixed options, or a function read at each use (live configuration). */
  options?: OptionsSource<Partial<BreakerOptions>>;
}): CircuitBreaker {
  const { store, events } = deps;
  const currentOptions = derivedOptions(deps.options ?? {}, (o: Partial<BreakerOptions>) => validateBreakerOptions({ ...DEFAULT_BREAKER_OPTIONS, ...o }));

  /** Runs one read-modify-write atomically and emits its events once it has committed. */
  function update<T>(fn: (emit: (e: MeshEvent) => void) => T): T {
    const pending: MeshEvent[] = [];
    const result = store.transaction(() => fn((e) => pending.push(e)));
    for (const e of pending) events.emit(e);
    return result;
  }

  function open(r: BreakerRecord, now: number, emit: (e: MeshEvent) => void): BreakerRecord {
    const until = now + currentOptions().coolDownMs;
    emit({ type: 'circuit.opened', peer: r.peer, until });
    return { ...r, state: 'open', openedAt: now, openUntil: until, probeUntil: null };
  }

  return {
    acquire(peer, now) {
      // Fast path without a write lock: a closed circuit is by far the common case, and a stale
      // "closed" read costs at most one extra request.
      const current = store.breakers.get(peer);
      if (current === null || current.state === 'closed') return { allowed: true, probe: false };
      return update((emit) => {
        const r = store.breakers.get(peer) ?? closedRecord(peer, now);
        if (r.state === 'closed') return { allowed: true, probe: false };
        if (r.state === 'open' && r.openUntil !== null && now < r.openUntil) {
          return { allowed: false, retryAt: r.openUntil };
        }
        if (r.state === 'half-open' && r.probeUntil !== null && now < r.probeUntil) {
          return { allowed: false, retryAt: Math.min(r.probeUntil, now + currentOptions().probeRecheckMs) };
        }
        // Cool-down over, or the previous probe's lease ran out: this caller is the probe.
        if (r.state === 'open') emit({ type: 'circuit.half_opened', peer });
        store.breakers.put({ ...r, state: 'half-open', probeUntil: now + currentOptions().probeLeaseMs, updatedAt: now });
        return { allowed: true, probe: true };
      });
    },

    recordSuccess(peer, now) {
      // Closed without failures: only lastSuccessAt would change. Refresh it at most once a second
      // rather than writing the same row after every delivered message.
      const current = store.breakers.get(peer);
      if (current !== null && current.state === 'closed' && current.consecutiveFailures === 0 &&
        current.lastSuccessAt !== null && now >= current.lastSuccessAt && now - current.lastSuccessAt < SUCCESS_REFRESH_MS) return;
      update((emit) => {
        const r = store.breakers.get(peer) ?? closedRecord(peer, now);
        if (r.state !== 'closed') emit({ type: 'circuit.closed', peer });
        store.breakers.put({
          ...r, state: 'closed', consecutiveFailures: 0, openedAt: null, openUntil: null, probeUntil: null,
          lastSuccessAt: now, updatedAt: now,
        });
      });
    },

    recordFailure(peer, now) {
      update((emit) => {
        const r0 = store.breakers.get(peer) ?? closedRecord(peer, now);
        let r: BreakerRecord = { ...r0, consecutiveFailures: r0.consecutiveFailures + 1, lastFailureAt: now, updatedAt: now };
        if (r.state === 'half-open') {
          r = open(r, now, emit);
        } else if (r.state === 'closed' && r.consecutiveFailures >= currentOptions().failureThreshold) {
          r = open(r, now, emit);
        }
        // Already open: a late failure from a request that started earlier keeps the cool-down as is.
        store.breakers.put(r);
      });
    },

    state(peer, now) {
      return view(store.breakers.get(peer) ?? closedRecord(peer, now), now);
    },

    list(now) {
      return store.breakers.list().map((r) => view(r, now));
    },
  };
}
