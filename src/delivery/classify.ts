/**
 * The one place that decides what a transport result means (ARCHITECTURE.md §6: permanent vs
 * transient is decided in one place). Everything else branches on the returned classification.
 *
 *   2xx                                   → delivered
 *   no response (network error, timeout)  → transient, counts against the peer's breaker
 *   1xx, 3xx (redirects are not followed) → transient, counts (the peer does not accept the hook)
 *   429                                   → throttled: the peer is up but busy (resets the breaker);
 *                                           it holds the whole peer and spends no retry
 *   408, 425                              → transient, proves the peer is up (resets the breaker)
 *   other 4xx                             → permanent `client_error_<code>`, proves the peer is up
 *   5xx, anything else                    → transient, counts
 *
 * Unlike bash MESH a 4xx never opens the circuit (bash-mesh-behavior.md §13.2 item 20): a peer that
 * answers "bad request" is up, and holding its other messages would not help.
 *
 * When the peer explains a refusal with a MESH wire code (`{"ok":false,"code":"signature_invalid"}`),
 * the code is appended to the reason: `client_error_403:signature_invalid`, `http_507:storage_full`.
 * bash's `client_error_<status>` stays the prefix (bash-mesh-behavior.md §14 A.4), and the code is
 * validated (PEER_CODE_RE), never free peer text.
 */
import type { TransportResult } from '../ports/transport.ts';
import { peerCodeOf } from '../protocol/wire-codes.ts';

export type DeliveryVerdict = 'delivered' | 'transient' | 'throttled' | 'permanent';

/** What the result says about the peer's health: a failure, proof it is up, or nothing. */
export type BreakerEffect = 'failure' | 'success';

export interface Classification {
  verdict: DeliveryVerdict;
  /**
   * Short secret-free code: `http_<status>` (delivered/transient), `client_error_<status>`
   * (permanent, also the dead-letter reason), either followed by `:<peer's wire code>` when the peer
   * gave one, or the transport's network error code.
   */
  reason: string;
  breaker: BreakerEffect;
  /** The peer's Retry-After in ms, when it sent one with a transient or throttled answer. */
  retryAfterMs: number | null;
}

/** 4xx answers that mean "try again later" rather than "this request is wrong" (429 aside). */
const TRANSIENT_4XX = new Set([408, 425]);

export function classifyResult(r: TransportResult): Classification {
  const status = r.status;
  if (status === null) {
    return { verdict: 'transient', reason: r.networkError ?? 'no_response', breaker: 'failure', retryAfterMs: null };
  }
  if (status >= 200 && status <= 299) {
    return { verdict: 'delivered', reason: `http_${status}`, breaker: 'success', retryAfterMs: null };
  }
  const retryAfterMs = r.retryAfterMs !== null && r.retryAfterMs > 0 ? r.retryAfterMs : null;
  const code = peerCodeOf(r.bodySnippet);
  const withCode = (base: string): string => (code === null ? base : `${base}:${code}`);
  if (status >= 400 && status <= 499) {
    if (status === 429) return { verdict: 'throttled', reason: withCode('http_429'), breaker: 'success', retryAfterMs };
    if (TRANSIENT_4XX.has(status)) {
      return { verdict: 'transient', reason: withCode(`http_${status}`), breaker: 'success', retryAfterMs };
    }
    return { verdict: 'permanent', reason: withCode(`client_error_${status}`), breaker: 'success', retryAfterMs: null };
  }
  return { verdict: 'transient', reason: withCode(`http_${status}`), breaker: 'failure', retryAfterMs };
}

/**
 * Dead-letter reasons that a recovered peer may fix, so the worker replays them automatically when
 * the peer's health probe succeeds. Permanent rejections (`client_error_*`) are replayed only by
 * hand (`mesh dlq replay`), after someone fixed the cause; bash retried them forever (§13.2 item 18).
 */
const AUTO_REPLAY_REASONS = new Set(['all_retries_exhausted', 'circuit_open', 'unknown_peer']);

export function isAutoReplayable(reason: string): boolean {
  return AUTO_REPLAY_REASONS.has(reason);
}
