/**
 * Tunables of outbound delivery, with named defaults (units in the names). Validated once, when the
 * service is created; everything downstream trusts them.
 */
import { derivedOptions, type OptionsSource } from '../protocol/derived-options.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { DEFAULT_BREAKER_OPTIONS, validateBreakerOptions, type BreakerOptions } from './circuit-breaker.ts';
import { DEFAULT_MAX_RETRY_AFTER_MS, DEFAULT_RETRY_POLICY, validateRetryPolicy, type RetryPolicy } from './retry-policy.ts';

export interface DeliveryOptions {
  /** Whole-request limit of one attempt (bash: 30 s). */
  requestTimeoutMs: number;
  /** TCP/TLS connect limit of one attempt (bash: 10 s). */
  connectTimeoutMs: number;
  /** How long a worker owns a claimed message; must outlast one attempt, or two workers may send it. */
  leaseMs: number;
  /** Attempts in flight per worker tick, over all peers. */
  maxConcurrent: number;
  /** Attempts in flight towards one peer that takes one message per request (bash, OpenClaw). */
  maxConcurrentPerPeer: number;
  /** Attempts in flight towards one peer that takes several per request (a MESH-TS node: hook batches). */
  maxConcurrentPerBatchingPeer: number;
  retry: RetryPolicy;
  /** Cap on a peer's Retry-After. */
  maxRetryAfterMs: number;
  breaker: BreakerOptions;
  /** Delivered outbox rows are kept this long (the CLI polls them for outcomes), then pruned. */
  deliveredRetentionMs: number;
  /** Minimum time between two health probes of one peer by the dead-letter auto-replay. */
  autoReplayProbeIntervalMs: number;
  /** Timeout of one auto-replay health probe. */
  probeTimeoutMs: number;
}

export type DeliveryOptionsInput = Partial<Omit<DeliveryOptions, 'breaker'>> & { breaker?: Partial<BreakerOptions> };

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_LEASE_MS = 90_000;
/**
 * Messages in flight at once. Several per peer keep a receiver's group commit busy (it fsyncs once
 * for the messages that arrive together) and a backlog draining at the peer's speed, not at one
 * round trip per message; the per-peer limit still bounds what one peer is asked to absorb at once.
 * A peer that takes hook batches gets more: 128 are two POSTs of 64, so one batch is on the wire
 * while the other is being stored (with 32 the two sides took turns: 1,423 against 2,120 msg/s
 * draining 30,000, bench/queue-memory.ts). A peer that takes one envelope per POST (an OpenClaw
 * gateway wakes its agent for each) keeps 32.
 */
export const DEFAULT_MAX_CONCURRENT = 256;
export const DEFAULT_MAX_CONCURRENT_PER_PEER = 32;
export const DEFAULT_MAX_CONCURRENT_PER_BATCHING_PEER = 128;
export const DEFAULT_DELIVERED_RETENTION_MS = 86_400_000;
export const DEFAULT_AUTO_REPLAY_PROBE_INTERVAL_MS = 30_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

function positive(name: string, v: number, integer = false): number {
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `delivery option ${name} must be a positive ${integer ? 'integer' : 'number'}`, {
      details: { option: name },
    });
  }
  return v;
}

export function resolveDeliveryOptions(input: DeliveryOptionsInput = {}): DeliveryOptions {
  const requestTimeoutMs = positive('requestTimeoutMs', input.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const leaseMs = positive('leaseMs', input.leaseMs ?? Math.max(DEFAULT_LEASE_MS, requestTimeoutMs * 2));
  if (leaseMs <= requestTimeoutMs) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'delivery option leaseMs must exceed requestTimeoutMs', {
      details: { leaseMs, requestTimeoutMs },
    });
  }
  const breaker = validateBreakerOptions({
    ...DEFAULT_BREAKER_OPTIONS,
    // The probe is one attempt: its slot must outlast it, like a lease.
    probeLeaseMs: Math.max(DEFAULT_BREAKER_OPTIONS.probeLeaseMs, leaseMs),
    ...input.breaker,
  });
  if (breaker.probeLeaseMs <= requestTimeoutMs) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'breaker probeLeaseMs must exceed requestTimeoutMs', {
      details: { probeLeaseMs: breaker.probeLeaseMs, requestTimeoutMs },
    });
  }
  return {
    requestTimeoutMs,
    connectTimeoutMs: positive('connectTimeoutMs', input.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    leaseMs,
    maxConcurrent: positive('maxConcurrent', input.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, true),
    maxConcurrentPerPeer: positive('maxConcurrentPerPeer', input.maxConcurrentPerPeer ?? DEFAULT_MAX_CONCURRENT_PER_PEER, true),
    maxConcurrentPerBatchingPeer: positive('maxConcurrentPerBatchingPeer', input.maxConcurrentPerBatchingPeer ?? DEFAULT_MAX_CONCURRENT_PER_BATCHING_PEER, true),
    retry: validateRetryPolicy(input.retry ?? DEFAULT_RETRY_POLICY),
    maxRetryAfterMs: positive('maxRetryAfterMs', input.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS),
    breaker,
    deliveredRetentionMs: positive('deliveredRetentionMs', input.deliveredRetentionMs ?? DEFAULT_DELIVERED_RETENTION_MS),
    autoReplayProbeIntervalMs: positive('autoReplayProbeIntervalMs', input.autoReplayProbeIntervalMs ?? DEFAULT_AUTO_REPLAY_PROBE_INTERVAL_MS),
    probeTimeoutMs: positive('probeTimeoutMs', input.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
  };
}

/** Options given once, or read again at each use (a node's live configuration). */
export type DeliveryOptionsSource = OptionsSource<DeliveryOptionsInput>;

/** The resolved options as of now (re-resolved only when the source returns a new object). */
export function liveDeliveryOptions(source: DeliveryOptionsSource = {}): () => DeliveryOptions {
  return derivedOptions(source, resolveDeliveryOptions);
}
